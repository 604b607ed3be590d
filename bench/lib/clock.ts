/**
 * One clock for every process on this machine: wall-clock milliseconds with
 * sub-millisecond resolution, so a time taken in a worker process and one
 * taken in the runner can be subtracted.
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
