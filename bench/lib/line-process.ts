/**
 * A child process read line by line: `line(pattern, stream)` resolves with the
 * first line of stdout or stderr matching `pattern` from now on, and rejects
 * if the process exits first. Tracked, so the bench's cleanup kills it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { track } from './children.js';

export interface LineProcess {
  child: ChildProcess;
  /** Resolves with the first line of `stream` matching `pattern` (rejects if the process exits first). */
  line(pattern: RegExp, stream: 'stdout' | 'stderr'): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

export function startLines(command: string, args: string[], env: Record<string, string>): LineProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  const waiters: Array<{ pattern: RegExp; stream: string; resolve(m: RegExpExecArray): void; reject(e: Error): void }> =
    [];
  const watch = (stream: 'stdout' | 'stderr') =>
    createInterface({ input: child[stream] }).on('line', (text) => {
      for (const waiter of [...waiters]) {
        const match = waiter.stream === stream ? waiter.pattern.exec(text) : null;
        if (match) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
    });
  watch('stdout');
  watch('stderr');
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      for (const waiter of waiters.splice(0))
        waiter.reject(new Error(`${command} exited (${code}) before ${waiter.pattern}`));
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    line: (pattern, stream) => new Promise((resolve, reject) => waiters.push({ pattern, stream, resolve, reject })),
  };
}
