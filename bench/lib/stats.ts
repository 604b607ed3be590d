/** Medians and spread of repeated measurements, and percentiles of latency samples. */

export interface Summary {
  /** The median of the repeats: the figure the table shows. */
  median: number;
  min: number;
  max: number;
  /** Every repeat's value, in run order (so a drift across repeats stays visible). */
  values: number[];
}

/** The p-th percentile (0..100) of ascending `sorted` values, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Summary of the finite values (failed repeats are left out); undefined when none is left. */
export function summarize(values: readonly (number | undefined)[]): Summary | undefined {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) return undefined;
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), values: finite };
}

/** p50 and p99 of latency samples, in the samples' unit. */
export function latency(samples: readonly number[]): { p50: number; p99: number; count: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), count: sorted.length };
}
