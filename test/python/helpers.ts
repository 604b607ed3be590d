/**
 * Helpers for tests that run real CPython: finding the interpreters present,
 * running short scripts, and spawning long-lived ones that are always killed
 * (whole process group: a classic master's manager server is a child of it).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface PythonExe {
  /** e.g. "3.11.7" */
  version: string;
  path: string;
}

function probe(command: string): PythonExe | undefined {
  const result = spawnSync(
    command,
    ['-c', 'import sys, platform; print(platform.python_version()); print(sys.executable)'],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) return undefined;
  const [version, path] = result.stdout.trim().split('\n');
  return version && path ? { version, path } : undefined;
}

let cached: PythonExe[] | undefined;

/**
 * `python3` plus every pyenv CPython 3.11+ installed (3.11 uses the legacy MD5
 * handshake, 3.12+ the sha256 one), one per minor version.
 */
export function pythonExecutables(): PythonExe[] {
  if (cached) return cached;
  const found = new Map<string, PythonExe>();
  const add = (exe: PythonExe | undefined): void => {
    if (!exe) return;
    const minor = exe.version.split('.').slice(0, 2).join('.');
    if (!found.has(minor)) found.set(minor, exe);
  };
  add(probe('python3'));
  const root = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const versions = existsSync(join(root, 'versions')) ? readdirSync(join(root, 'versions')) : [];
  for (const version of versions.sort()) {
    const match = /^3\.(\d+)\.\d+$/.exec(version);
    if (!match || Number(match[1]) < 11) continue;
    const path = join(root, 'versions', version, 'bin', 'python3');
    if (existsSync(path)) add({ version, path });
  }
  cached = [...found.values()].sort((a, b) => a.version.localeCompare(b.version, undefined, { numeric: true }));
  if (cached.length === 0) throw new Error('no python3 found: these tests need CPython');
  return cached;
}

export function defaultPython(): PythonExe {
  return pythonExecutables()[0] as PythonExe;
}

/** Runs a short script to completion (for codec checks), returning stdout; throws with stderr on failure. */
export function runPython(code: string, input = '', exe: PythonExe = defaultPython()): string {
  const result = spawnSync(exe.path, ['-c', code], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`python failed (${result.status}):\n${result.stderr}`);
  return result.stdout;
}

export interface RunningPython {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Resolves with the first stdout line matching `pattern`. */
  line(pattern: RegExp): Promise<RegExpExecArray>;
}

/** Process groups we created (each led by a spawned python), killed at cleanup even after the leader exits. */
const groups = new Set<number>();

/** Spawns a script in its own process group, tracked so `killAllPythons()` can end it and its children. */
export function spawnPython(exe: PythonExe, script: string, args: string[] = []): RunningPython {
  const child = spawn(exe.path, ['-u', script, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) groups.add(child.pid);
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  // 'close' rather than 'exit': it comes after stdout is fully read.
  let closed = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      closed = true;
      for (const wake of waiters.splice(0)) wake();
      resolve(code);
    });
  });
  const line = (pattern: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(out);
        if (match) resolve(match);
        else if (closed) reject(new Error(`python exited before printing ${pattern}:\n${out}\n${err}`));
        else waiters.push(check);
      };
      check();
    });
  return { child, stdout: () => out, stderr: () => err, exited, line };
}

/** Kills every process group spawned by `spawnPython` (the python and anything it forked). */
export function killAllPythons(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // The whole group is already gone.
    }
  }
  groups.clear();
}
