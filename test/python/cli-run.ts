/**
 * The real `peerproc` CLI (dist/node/cli.js, from `npm run build`) as a child
 * process, for the CPython interoperability tests: lines of stdout and stderr
 * kept apart, bounded waits on either, and every process killed at cleanup.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/node/cli.js', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the exit code once the process has exited and its output is read. */
  exited: Promise<number | null>;
  /** Resolves with the first line (stdout or stderr, as asked) matching `pattern`; rejects after `timeoutMs`. */
  line(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpExecArray>;
  /** Both streams, for failure messages. */
  output(): string;
}

const running = new Set<ChildProcess>();

/** `peerproc ...args`, the authkey passed through the environment as users are told to. */
export function peerproc(args: string[], env: Record<string, string> = {}): CliRun {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const streams = { stdout: [] as string[], stderr: [] as string[] };
  const waiters = new Set<() => void>();
  let closed = false;
  const collect = (sink: string[]) => {
    let rest = '';
    return (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      sink.push(...lines);
      for (const wake of [...waiters]) wake();
    };
  };
  child.stdout?.on('data', collect(streams.stdout));
  child.stderr?.on('data', collect(streams.stderr));
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      closed = true;
      running.delete(child);
      for (const wake of [...waiters]) wake();
      resolve(code);
    });
  });
  const output = () => `stdout:\n${streams.stdout.join('\n')}\nstderr:\n${streams.stderr.join('\n')}`;
  const line = (pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 30_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${stream} line matching ${pattern} within ${timeoutMs} ms\n${output()}`));
      }, timeoutMs);
      const check = (): void => {
        for (const l of streams[stream]) {
          const match = pattern.exec(l);
          if (match) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(match);
            return;
          }
        }
        if (closed) {
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`peerproc exited before printing ${pattern}\n${output()}`));
        }
      };
      waiters.add(check);
      check();
    });
  return { child, stdout: streams.stdout, stderr: streams.stderr, exited, line, output };
}

/** Kills every CLI process still running (each was started here, by its own pid). */
export function killAllCli(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Master transcript: every task put is answered exactly once with its square. */
export function checkMasterTranscript(lines: readonly string[]): { tasks: number[] } {
  const tasks = lines.flatMap((l) => /^Put task (\d+)\.\.\.$/.exec(l)?.[1] ?? []).map(Number);
  const results = lines.flatMap((l) => /^Result: (.*)$/.exec(l)?.[1] ?? []);
  const expected = tasks.map((n) => `${n} * ${n} = ${n * n}`).sort();
  if (JSON.stringify([...results].sort()) !== JSON.stringify(expected)) {
    throw new Error(`results do not match tasks:\ntasks ${tasks.join(', ')}\nresults ${results.join(' | ')}`);
  }
  return { tasks };
}

/** `run task N * N...` lines of a worker transcript. */
export function tasksRun(text: string | readonly string[]): number[] {
  const lines = typeof text === 'string' ? text.split('\n') : text;
  return lines.flatMap((l) => /^run task (\d+) \* \d+\.\.\.$/.exec(l)?.[1] ?? []).map(Number);
}
