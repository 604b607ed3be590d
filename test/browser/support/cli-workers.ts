/**
 * Node workers as separate processes: the `peerproc worker` command
 * (dist/bundle/cli.js, built by `npm run build`), as users run it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const CLI_PATH = resolve(import.meta.dirname, '../../../dist/bundle/cli.js');

export interface CliWorker {
  child: ChildProcess;
  /** Tasks it reported (`run task N * N...` lines). */
  tasks(): number;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  output(): string;
}

export function spawnCliWorker(address: string, authkey: string, wait = 30): CliWorker {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`the Node workers run the built CLI, and ${CLI_PATH} is missing: run \`npm run build\` first`);
  }
  // The key goes through the environment: command lines are visible to every user in `ps`.
  const child = spawn(process.execPath, [CLI_PATH, 'worker', '--address', address, '--wait', String(wait)], {
    env: { ...process.env, PEERPROC_AUTHKEY: authkey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    child,
    tasks: () => stdout.split('\n').filter((line) => line.startsWith('run task ')).length,
    exited,
    output: () => `stdout:\n${stdout.slice(-2000)}\nstderr:\n${stderr.slice(-2000)}`,
  };
}

/** Stops a worker that is still running (by its own pid; it was started here). */
export async function stopCliWorker(worker: CliWorker): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) {
    worker.child.kill('SIGTERM');
    const timer = setTimeout(() => worker.child.kill('SIGKILL'), 3_000);
    await worker.exited;
    clearTimeout(timer);
  }
}
