/**
 * Standard output for the commands' transcripts, one write per OUTPUT_FLUSH_MS
 * instead of one per line: the master prints two lines per task, and a
 * write per line (a system call each on a pipe) cost it half its throughput
 * at the seed workload. Lines keep their order; `flushOutput()` writes what is
 * pending at once (before a crash-sensitive point, and before exit).
 */
import { writeSync } from 'node:fs';

let pending: string[] = [];
let scheduled = false;

/** Once set, every flush writes synchronously (writeAllNow): see synchronousOutput(). */
let synchronous = false;

export function flushOutput(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const text = `${pending.join('\n')}\n`;
  pending = [];
  if (synchronous) writeAllNow(text);
  else process.stdout.write(text);
}

/**
 * From now on, transcript lines reach the OS synchronously (still one write
 * per flush), so that a SIGKILL loses none that were flushed, and lines written
 * with writeLineNow() cannot overtake earlier ones still queued in the stream.
 * It makes the process wait for a slow reader: only the journaled master uses it.
 */
export function synchronousOutput(): void {
  flushOutput();
  synchronous = true;
}

/**
 * How long transcript lines wait for company before they are written. Per
 * event-loop turn was not enough where every turn serves one call (the
 * Python listener: a write per call, 13 % of the master's time with two
 * CPython workers); a few milliseconds are invisible to someone reading.
 */
const OUTPUT_FLUSH_MS = 2;

/** Queues one line of transcript; it is written within OUTPUT_FLUSH_MS. */
export function outputLine(line: string): void {
  pending.push(line);
  if (!scheduled) {
    scheduled = true;
    setTimeout(flushOutput, OUTPUT_FLUSH_MS);
  }
}

/** A tiny synchronous sleep, for a pipe that is full (EAGAIN): the reader is behind. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Writes `line` and everything pending now: after synchronousOutput(), when
 * this returns the OS holds it, so a SIGKILL right after cannot lose it. For
 * lines whose loss would make the transcript disagree with a journal.
 */
export function writeLineNow(line: string): void {
  pending.push(line);
  flushOutput();
}

function writeAllNow(text: string): void {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(1, bytes, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      pause(1);
    }
  }
}
