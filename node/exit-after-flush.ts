/**
 * Exits once stdout and stderr have handed everything to the OS. On Linux,
 * writes to a pipe are asynchronous: `process.exit()` right after the last
 * write drops whatever a slow reader has not taken yet (20,000 result lines
 * through `| (sleep 4; grep -c Result)` arrived as 0). A zero-length write's
 * callback runs after every earlier write on that stream has been flushed.
 */
import type { Writable } from 'node:stream';
import { flushOutput } from './output.js';

function flushed(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) {
      resolve();
      return;
    }
    // A reader that went away (EPIPE) has taken all it will take.
    stream.once('error', () => resolve());
    stream.write('', () => resolve());
  });
}

export async function exitAfterFlush(code: number): Promise<never> {
  flushOutput();
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  // Native WebRTC threads can keep the event loop alive after every peer is closed: exit explicitly.
  process.exit(code);
}

/** Exit codes of a process ended by a signal, as shells report them (128 + the signal's number). */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Ctrl-C or a service stop: says so on stderr (with `why`), runs `close`
 * (telling peers, giving work back), then exits with the signal's code.
 */
export function closeOnStopSignals(why: string, close: () => Promise<unknown>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`${signal}: ${why}\n`);
      void close().finally(() => exitAfterFlush(SIGNAL_EXIT_CODES[signal]));
    });
  }
}
