/**
 * How many items a worker's queue proxy asks for at once, and when it asks
 * for the next batch (`readAheadDue`). Two limits on the size, the smaller
 * wins:
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
/**
 * Once the pace is known, one item in this many is timed: reading the clock
 * for every item was 5 % of a seed worker's thread, and a change of pace
 * still shows within a few dozen items.
 */
export const PACE_SAMPLE_EVERY = 8;
/** Gets timed one after another before the sampling starts (a worker of 500 takes only a few hundred items). */
export const PACE_TIMED_FIRST = 256;
/**
 * While the queue has plenty, the next batch is asked for at the latest while
 * the buffer still holds this many round trips of the consumer's work (and
 * always once half the buffer is used): a fast consumer, whose half window is
 * gone within one round trip, would otherwise wait for every batch.
 */
const READ_AHEAD_ROUND_TRIPS = 2;
/** Weight of the newest round trip in their average. */
const ROUND_TRIP_WEIGHT = 0.25;

/** An exponential moving average: `sample` itself when there is none yet. */
function averaged(average: number | undefined, sample: number, weight: number): number {
  return average === undefined ? sample : average + (sample - average) * weight;
}

export class PrefetchWindow {
  readonly #max: number;
  #supply = 1;
  /** Average ms the consumer spends per item; undefined until measured. */
  #pace: number | undefined;
  #handedOutAt = -1;
  /** Gets since the pace became known (see beginGet). */
  #gets = 0;
  /** Whether the current get's hand-out starts a measurement (set by beginGet). */
  #opens = true;
  /** Average ms from asking for a batch to its answer, over answers that brought a whole window. */
  #roundTripMs: number | undefined;
  /** This consumer's share of what the queue still held at the last answer (see GetBatchReply). */
  #share = 0;

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /**
   * The last answer left the queue empty (share 0): a read-ahead now would only bring back Empty, one message
   * each way per worker at the end of every run; the next get that finds the buffer empty asks itself.
   */
  get drained(): boolean {
    return this.#share === 0;
  }

  /**
   * Whether to ask for the next batch now, with `buffered` items still here: once half the window is used,
   * or earlier while the queue still holds a whole window for this consumer (so the request is answered at
   * once instead of waiting at the queue) and the buffer would be used up within READ_AHEAD_ROUND_TRIPS
   * round trips at the measured pace. Near the end of a queue the half rule alone holds: a consumer then
   * takes no more than its part of the tail, and keeps no request waiting at the queue beside a full buffer
   * (a worker killed meanwhile would leave that request to take, and strand, items redelivered from others
   * until its death is declared). Never after an answer that drained the queue, nor with a window of 1.
   */
  readAheadDue(buffered: number): boolean {
    const size = this.size;
    if (this.drained || size < 2) return false;
    if (buffered * 2 <= size) return true;
    if (this.#share < size || this.#pace === undefined || this.#roundTripMs === undefined) return false;
    return buffered * this.#pace <= READ_AHEAD_ROUND_TRIPS * this.#roundTripMs;
  }

  /** Items to ask for now: what the queue is known to have for this consumer, within what its pace allows. */
  get size(): number {
    return Math.min(this.#supply, this.paceLimit);
  }

  /**
   * The most this consumer may hold by its pace alone (PREFETCH_HORIZON_MS of its work, 1 until the pace is
   * known): how far a master may go beyond `size` when its queue now holds more for this consumer than the
   * last answer said.
   */
  get paceLimit(): number {
    if (this.#pace === undefined) return 1;
    const paced = this.#pace <= 0 ? this.#max : Math.floor(PREFETCH_HORIZON_MS / this.#pace);
    return Math.max(1, Math.min(this.#max, paced));
  }

  /**
   * A get starts (called once per get, it advances the sampling): returns
   * whether it should read the clock, which it must when a timed hand-out
   * waits for this ask, or when this get's hand-out is to be timed (every get
   * until the pace is known and over the first PACE_TIMED_FIRST after, then
   * one in PACE_SAMPLE_EVERY). An untimed get passes no time to `asked` and
   * `handedOut`.
   */
  beginGet(): boolean {
    const closes = this.#handedOutAt >= 0;
    this.#opens = this.#pace === undefined || ++this.#gets <= PACE_TIMED_FIRST || this.#gets % PACE_SAMPLE_EVERY === 0;
    return closes || this.#opens;
  }

  /** The consumer asked for an item: the time since the last hand-out was spent on that item. */
  asked(now: number): void {
    if (this.#handedOutAt < 0) return;
    const spent = now - this.#handedOutAt;
    this.#pace = averaged(this.#pace, spent, PACE_WEIGHT);
    this.#handedOutAt = -1;
  }

  /** An item went to the consumer, at `now`; it starts a measurement if its get was to be timed. */
  handedOut(now: number): void {
    if (this.#opens) this.#handedOutAt = now;
  }

  /**
   * A batch request for `asked` items returned `received` after `roundTripMs`, and the master said this
   * consumer's share of what is left is `share`: grow while the queue has plenty, by doubling, or straight
   * to the share when that is more.
   */
  supplied(asked: number, received: number, share = 0, roundTripMs?: number): void {
    // Relative to what came, so a window held down by the pace does not build up credit: what was asked, or
    // more when the master gave up to this consumer's share of its queue as it was then (the request's upTo).
    this.#supply = received >= asked ? Math.min(Math.max(received * 2, share), this.#max) : Math.max(1, received);
    this.#share = share;
    // A whole window means the queue had it ready, so the time was the round trip. (A get that waited for a
    // put loop's slice brings a whole window too; counting its wait only makes the next read-ahead leave earlier.)
    if (roundTripMs !== undefined && received >= asked) {
      this.#roundTripMs = averaged(this.#roundTripMs, roundTripMs, ROUND_TRIP_WEIGHT);
    }
  }

  /** A request failed, or a get waited out its timeout: start small again. */
  reset(): void {
    this.#supply = 1;
  }
}
