/** Finding CPython and running the baseline script (bench/python/baseline.py). */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './children.js';
import { BASELINE_PY } from './paths.js';

export interface PythonInfo {
  command: string;
  version: string;
}

/** The interpreter the table compares with: `python3` on the PATH. */
export async function findPython(command = 'python3'): Promise<PythonInfo | undefined> {
  try {
    const result = await runCommand(command, ['-c', 'import platform; print(platform.python_version())'], {
      timeoutMs: 15_000,
    });
    if (result.code !== 0) return undefined;
    return { command, version: result.stdout.trim() };
  } catch {
    return undefined;
  }
}

/** pyenv's 3.12.1, if installed (a second CPython column for the throughput table). */
export function pyenvPython(version: string): string | undefined {
  const root = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const path = join(root, 'versions', version, 'bin', 'python3');
  return existsSync(path) ? path : undefined;
}

export interface PythonThroughput {
  workers: number;
  tasks: number;
  seconds: number;
  tasks_per_s: number;
  checked: number;
  bad: number;
  connect_ms: number[];
  rss_mb: { master: number; server: number; worker: number };
  python: string;
}

export interface PythonProbe {
  connect_ms: number;
  rpc_put_us: { p50: number; p99: number; calls: number };
  payload: { bytes: number; put_s: number; get_s: number; put_MBps: number; get_MBps: number; ok: boolean };
  rss_mb: { master: number; server: number; worker: number };
  python: string;
}

async function runBaseline<T>(python: string, args: string[], timeoutMs: number): Promise<T> {
  const result = await runCommand(python, [BASELINE_PY, ...args], { timeoutMs });
  const last = result.stdout.trim().split('\n').at(-1);
  if (result.code !== 0 || !last) {
    const why = result.signal ? `killed (${result.signal}) after ${Math.round(result.ms)} ms` : `exit ${result.code}`;
    throw new Error(`baseline.py ${args[0]}: ${why}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return JSON.parse(last) as T;
}

export function pythonThroughput(python: string, workers: number, tasks: number): Promise<PythonThroughput> {
  // CPython moves about 10,000 tasks/s here: allow ten times longer, plus start-up.
  const timeoutMs = 30_000 + tasks;
  return runBaseline(python, ['throughput', '--workers', String(workers), '--tasks', String(tasks)], timeoutMs);
}

export function pythonProbe(python: string, calls: number, payloadBytes: number): Promise<PythonProbe> {
  return runBaseline(
    python,
    ['probe', '--calls', String(calls), '--payload-mib', String(payloadBytes / 2 ** 20)],
    120_000,
  );
}
