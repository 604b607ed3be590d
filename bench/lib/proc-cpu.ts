/**
 * CPU time from Linux's /proc, for the experiments that say where the CPU
 * goes: a process's user + system time (its stat file sums every thread of
 * the process) and the whole machine's idle and total time.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

/** User + system CPU seconds `pid` has used so far, all its threads together. */
export function cpuSeconds(pid: number): number {
  // After the command name's closing ") ", utime and stime are the 12th and 13th fields.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** [idle, total] ticks of the whole machine so far (idle counts I/O wait too). */
export function machineTicks(): [number, number] {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
  return [(fields[3] ?? 0) + (fields[4] ?? 0), fields.reduce((a, b) => a + b, 0)];
}
