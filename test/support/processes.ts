import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built CLI (npm test builds it first). */
export const CLI = fileURLToPath(new URL('../../dist/bundle/cli.js', import.meta.url));

export interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the exit code once the process has exited and its output is read. */
  exited: Promise<number | null>;
  /** Resolves with the first line of `stream` matching `pattern`; rejects after `timeoutMs` or at exit. */
  line(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the first stdout line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Both streams, for failure messages. */
  output(): string;
}

const running = new Set<ChildProcess>();

export interface SpawnOptions {
  /** Run inside the network namespace of this process (nsenter), e.g. a lossy one from isolated-net.ts. */
  netnsOf?: number;
}

/** Spawns `peerproc ...args` (the built CLI) with its output collected line by line. */
export function peerproc(args: string[], env: Record<string, string> = {}, options: SpawnOptions = {}): Run {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  return collected(process.execPath, [CLI, ...args], env, options);
}

/** argv of the seed's `peerproc master`: `--address --authkey --tasks`, then `extra`. */
export function seedMasterArgs(address: string, authkey: string, tasks: number, extra: string[] = []): string[] {
  return ['master', '--address', address, '--authkey', authkey, '--tasks', String(tasks), ...extra];
}

/** argv of a job's `peerproc master`: `--address --job --tasks-file --results`, then `extra` (the key comes from the env). */
export function jobMasterArgs(address: string, job: string, tasksFile: string, results: string, extra: string[] = []) {
  return ['master', '--address', address, '--job', job, '--tasks-file', tasksFile, '--results', results, ...extra];
}

/** Spawns any command with its output collected line by line (killed by killAll()). */
export function collected(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  { netnsOf }: SpawnOptions = {},
): Run {
  // nsenter joins the namespace and execs the command: the pid stays the command's.
  const [file, argv] =
    netnsOf === undefined ? [command, args] : ['nsenter', [`--net=/proc/${netnsOf}/ns/net`, command, ...args]];
  const child = spawn(file, argv, {
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
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${stream} line matching ${pattern} within ${timeoutMs} ms\n${output()}`));
      }, timeoutMs);
      const check = (): void => {
        for (const l of streams[stream]) {
          const match = pattern.exec(l);
          if (match) {
            finish();
            resolve(match);
            return;
          }
        }
        if (closed) {
          finish();
          reject(new Error(`peerproc exited before printing ${pattern}\n${output()}`));
        }
      };
      waiters.add(check);
      check();
    });
  const waitForLine = (pattern: RegExp, timeoutMs = 20_000) =>
    line(pattern, 'stdout', timeoutMs).then((match) => match.input);
  return { child, stdout: streams.stdout, stderr: streams.stderr, exited, line, waitForLine, output };
}

/** Kills every process started with `peerproc()` that is still running. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** The transcript checker of the worked example. */
export { checkTranscript } from '../../shared/example.js';
