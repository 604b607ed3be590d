/** Reconnect delays: exponential from MIN to a cap, with jitter so peers do not retry in lockstep. */
export const BACKOFF_MIN_MS = 100;
export const BACKOFF_MAX_MS = 5_000;

export function backoffDelay(attempt: number, minMs = BACKOFF_MIN_MS, maxMs = BACKOFF_MAX_MS): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(() => resolve(), ms));
}
