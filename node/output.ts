/**
 * Standard output for the commands' transcripts, one write per event-loop
 * turn instead of one per line: the master prints two lines per task, and a
 * write per line (a system call each on a pipe) cost it half its throughput
 * at the seed workload. Lines keep their order; `flushOutput()` writes what is
 * pending at once (before a crash-sensitive point, and before exit).
 */
let pending: string[] = [];
let scheduled = false;

export function flushOutput(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const text = `${pending.join('\n')}\n`;
  pending = [];
  process.stdout.write(text);
}

/** Queues one line of transcript; it is written within this event-loop turn. */
export function outputLine(line: string): void {
  pending.push(line);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushOutput);
  }
}
