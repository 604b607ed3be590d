/**
 * Argument checks shared by the queue, its serving of peers and its proxy, so
 * a bad timeout is refused the same way on every path (fast or not, local or
 * remote) and never turns into a wait of NaN seconds.
 */

/** A Python-style timeout: seconds, or null/undefined for "forever"; RangeError otherwise. */
export function checkTimeout(timeout: number | null | undefined): number | null {
  if (timeout === null || timeout === undefined) return null;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `'timeout' must be a non-negative number of seconds or null, got ${String(timeout)} (${typeof timeout})`,
    );
  }
  return timeout;
}

export function checkInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`'${name}' must be an integer of at least ${min}, got ${String(value)} (${typeof value})`);
  }
  return value;
}
