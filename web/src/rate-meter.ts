/** Events per second over a sliding window, from a running total sampled over time. */
export const DEFAULT_RATE_WINDOW_MS = 2_000;

export class RateMeter {
  readonly #windowMs: number;
  #samples: Array<{ at: number; total: number }> = [];

  constructor(windowMs = DEFAULT_RATE_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  /** Records the running total at time `at` (ms) and returns the rate over the window. */
  sample(at: number, total: number): number {
    this.#samples.push({ at, total });
    while (this.#samples.length > 2 && this.#samples[1].at <= at - this.#windowMs) this.#samples.shift();
    const first = this.#samples[0];
    const elapsed = at - first.at;
    return elapsed > 0 ? ((total - first.total) * 1000) / elapsed : 0;
  }

  reset(): void {
    this.#samples = [];
  }
}
