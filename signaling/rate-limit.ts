/**
 * Token buckets: one per connection for messages, one per client address for
 * new connections, plus a per-address count of open connections.
 */

/** Monotonic milliseconds; injectable so tests can drive time. */
export type Clock = () => number;
const monotonic: Clock = () => performance.now();

/** Allows `burst` events at once, refilled at `ratePerSecond`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private factor = 1;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: Clock = monotonic,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /**
   * Multiplies rate and burst by `factor` (at least 1): a master relays the
   * offers, answers and candidates of every worker in its room, so its budget
   * grows with the room instead of starving pairings when many workers join.
   */
  scale(factor: number): void {
    this.factor = Math.max(1, factor);
  }

  /** Takes one token; false when the bucket is empty (the event must be refused). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True once the bucket has refilled completely: forgetting it then loses nothing. */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst * this.factor;
  }

  private refill(): void {
    const now = this.now();
    const burst = this.burst * this.factor;
    this.tokens = Math.min(burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond * this.factor);
    this.last = now;
  }
}

export type IpVerdict = 'ok' | 'too-many' | 'too-fast';

interface IpEntry {
  open: number;
  bucket: TokenBucket;
}

/**
 * Per-address limits on open connections and on the rate of new ones. An
 * entry lives while its address has open connections or a partly drained
 * bucket (dropping it earlier would hand a reconnect loop a fresh burst);
 * `sweep()` forgets the rest.
 */
export class IpLimiter {
  private readonly entries = new Map<string, IpEntry>();

  constructor(
    private readonly limits: { maxPerIp: number; perSecond: number; burst: number },
    private readonly now: Clock = monotonic,
  ) {}

  /** Counts a new connection from `ip` if the limits allow it; call `release(ip)` when it closes. */
  acquire(ip: string): IpVerdict {
    let entry = this.entries.get(ip);
    if (!entry) {
      entry = { open: 0, bucket: new TokenBucket(this.limits.perSecond, this.limits.burst, this.now) };
      this.entries.set(ip, entry);
    }
    if (!entry.bucket.take()) return 'too-fast';
    if (entry.open >= this.limits.maxPerIp) return 'too-many';
    entry.open += 1;
    return 'ok';
  }

  release(ip: string): void {
    const entry = this.entries.get(ip);
    if (entry && entry.open > 0) entry.open -= 1;
  }

  /** Forgets addresses with no open connection and a full bucket. */
  sweep(): void {
    for (const [ip, entry] of this.entries) {
      if (entry.open === 0 && entry.bucket.isFull()) this.entries.delete(ip);
    }
  }

  /** Addresses currently tracked (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }
}
