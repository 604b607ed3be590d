/**
 * How many items a worker's queue proxy asks for at once. Two limits, the
 * smaller wins:
 *
 * - Supply: the window starts at 1 and grows only while the queue had a
 *   whole window's worth, so a small run stays shared between workers: it
 *   doubles, or goes straight to this worker's share of what is left (the
 *   queue divided among the peers getting from it, which the master sends
 *   with each batch) when that is more. The
 *   proxy resets it after a failed request or a get that waited out its
 *   timeout, not after a read-ahead that found the queue empty for a moment
 *   (a master between slices of its put loop: resetting there restarted
 *   every worker's ramp several times a run).
 * - Pace: the window never holds more than PREFETCH_HORIZON_MS of the
 *   consumer's work, measured as the time between handing an item out and the
 *   consumer asking for the next one. A fast consumer (the seed's squares, a few
 *   microseconds each) keeps the full window; a slow one (50 ms a task) keeps
 *   one item. Prefetched items are leased: whatever a worker holds when it
 *   dies waits for its death to be noticed, so it should hold no more than it
 *   needs to stay busy.
 */

/**
 * Work held ahead of the consumer. Enough to hide a round trip to the master
 * with room to spare (the read-ahead starts at half a window; a round trip is
 * 0.1-1 ms here, a few ms over the internet, and the master may be busy).
 */
export const PREFETCH_HORIZON_MS = 50;
/** Weight of the newest sample in the pace average: a change of pace shows within a few items. */
const PACE_WEIGHT = 0.25;

export class PrefetchWindow {
  readonly #max: number;
  #supply = 1;
  /** Average ms the consumer spends per item; undefined until measured. */
  #pace: number | undefined;
  #handedOutAt = -1;

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /** Average ms the consumer spends per item; undefined until measured. */
  get pace(): number | undefined {
    return this.#pace;
  }

  /** Items to ask for now. */
  get size(): number {
    if (this.#pace === undefined) return Math.min(this.#supply, 1);
    const paced = this.#pace <= 0 ? this.#max : Math.floor(PREFETCH_HORIZON_MS / this.#pace);
    return Math.max(1, Math.min(this.#supply, paced));
  }

  /** The consumer asked for an item: the time since the last hand-out was spent on that item. */
  asked(now: number): void {
    if (this.#handedOutAt < 0) return;
    const spent = now - this.#handedOutAt;
    this.#pace = this.#pace === undefined ? spent : this.#pace + (spent - this.#pace) * PACE_WEIGHT;
    this.#handedOutAt = -1;
  }

  /** An item went to the consumer. */
  handedOut(now: number): void {
    this.#handedOutAt = now;
  }

  /**
   * A batch request for `asked` items returned `received`, and the master
   * said this consumer's share of what is left is `share`: grow while the
   * queue has plenty, by doubling, or straight to the share when that is more.
   */
  supplied(asked: number, received: number, share = 0): void {
    // Relative to what was asked, so a window held down by the pace does not build up credit.
    this.#supply = received >= asked ? Math.min(Math.max(asked * 2, share), this.#max) : Math.max(1, received);
  }

  /** A request failed, or a get waited out its timeout: start small again. */
  reset(): void {
    this.#supply = 1;
  }
}
