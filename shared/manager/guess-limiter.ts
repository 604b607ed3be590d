/**
 * Throttles online guessing of the authkey. Every handshake a peer fails (or
 * abandons after receiving our key confirmation, which also tells it whether
 * its guess was right) is one guess. The limiter counts them per peer (the
 * signaling peer id; the remote address on the Python listener) and for the
 * whole room, and refuses new handshakes beyond the limits below. Proven
 * peers are never affected: the limiter only decides whether an unproven
 * peer may start a handshake.
 *
 * Logging is per burst, not per attempt: the first failure of a burst is
 * logged as it happens (so a single wrong key shows as one line), the rest
 * are counted, and one summary line follows when the burst is over (no
 * failure or refusal for `quietMs`), plus one every `reportMs` while a long
 * burst lasts.
 */

export interface GuessLimits {
  /** Failed handshakes one peer may have; then it is refused for `peerBanMs`. */
  perPeer: number;
  peerBanMs: number;
  /** Failed handshakes the room absorbs at once... */
  burst: number;
  /** ...then one more per this interval (a token bucket of `burst` tokens). */
  intervalMs: number;
  /** Unproven handshakes in flight at once; more are refused (Infinity: no cap). */
  maxPending: number;
  /** A burst is over after this long without a failure or refusal. */
  quietMs: number;
  /** While a burst lasts, a summary line this often. */
  reportMs: number;
  /** Peers remembered at most (the oldest are forgotten first), so memory stays bounded. */
  maxPeers: number;
}

/** The master's limits on a room's WebRTC handshakes (documented in README "Security"). */
export const ROOM_GUESS_LIMITS: GuessLimits = {
  perPeer: 3,
  peerBanMs: 10 * 60_000,
  burst: 10,
  intervalMs: 2_000,
  maxPending: 16,
  quietMs: 10_000,
  reportMs: 60_000,
  maxPeers: 10_000,
};

export type Settlement = 'authenticated' | 'failed' | 'dropped';

interface Burst {
  startedAt: number;
  lastAt: number;
  reportedAt: number;
  failed: number;
  refused: number;
}

interface PeerRecord {
  failures: number;
  bannedUntil: number;
}

export class GuessLimiter {
  readonly #limits: GuessLimits;
  readonly #log: (line: string) => void;
  readonly #what: string;
  readonly #now: () => number;
  readonly #peers = new Map<string, PeerRecord>();
  #tokens: number;
  #refilledAt: number;
  #pending = 0;
  #burst: Burst | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `what` names the guarded thing in summaries ("room jobs", "python listener 127.0.0.1:5000"). */
  constructor(limits: GuessLimits, what: string, log: (line: string) => void, now = () => performance.now()) {
    this.#limits = limits;
    this.#what = what;
    this.#log = log;
    this.#now = now;
    this.#tokens = limits.burst;
    this.#refilledAt = now();
  }

  /** Unproven handshakes admitted and not settled yet. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * May `peer` start a handshake now? If so it counts as pending until
   * `settle`; if not, the refusal is counted (and the reason returned).
   */
  admit(peer: string): { ok: true } | { ok: false; reason: string } {
    const now = this.#now();
    this.#refill(now);
    const record = this.#peers.get(peer);
    let reason: string | undefined;
    if (record && record.bannedUntil > now) {
      reason = `${record.failures} failed handshakes from this peer; refused for ${Math.ceil((record.bannedUntil - now) / 1000)} s more`;
    } else if (this.#pending >= this.#limits.maxPending) {
      reason = `${this.#pending} unproven handshakes already in flight`;
    } else if (this.#tokens < 1) {
      reason = `too many failed handshakes on ${this.#what}: one more every ${this.#limits.intervalMs / 1000} s`;
    }
    if (reason !== undefined) {
      this.#event(now, 'refused', `${peer} refused: ${reason}`);
      return { ok: false, reason };
    }
    this.#pending++;
    return { ok: true };
  }

  /** How an admitted handshake ended; `line` is what to log if it failed and starts a burst. */
  settle(peer: string, outcome: Settlement, line = `${peer} failed authentication`): void {
    this.#pending = Math.max(0, this.#pending - 1);
    if (outcome !== 'failed') return;
    const now = this.#now();
    this.#refill(now);
    // Concurrent failures may overdraw the bucket: the debt delays later admissions.
    this.#tokens = Math.max(this.#tokens - 1, -this.#limits.burst);
    let record = this.#peers.get(peer);
    if (record) this.#peers.delete(peer); // re-inserted: the map's order is least recently failed first
    record ??= { failures: 0, bannedUntil: 0 };
    record.failures++;
    if (record.failures >= this.#limits.perPeer) record.bannedUntil = now + this.#limits.peerBanMs;
    this.#peers.set(peer, record);
    while (this.#peers.size > this.#limits.maxPeers) this.#peers.delete(this.#peers.keys().next().value as string);
    this.#event(now, 'failed', line);
  }

  /** Stops the burst timer (logging the summary of a burst in progress). */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#endBurst();
  }

  #refill(now: number): void {
    const earned = (now - this.#refilledAt) / this.#limits.intervalMs;
    this.#tokens = Math.min(this.#limits.burst, this.#tokens + earned);
    this.#refilledAt = now;
  }

  #event(now: number, kind: 'failed' | 'refused', line: string): void {
    if (!this.#burst) {
      this.#burst = { startedAt: now, lastAt: now, reportedAt: now, failed: 0, refused: 0 };
      this.#log(line);
    }
    const burst = this.#burst;
    burst[kind]++;
    burst.lastAt = now;
    if (now - burst.reportedAt >= this.#limits.reportMs) {
      burst.reportedAt = now;
      this.#log(`${this.#summary(burst, now)} so far; still going`);
    }
    if (this.#timer === undefined) this.#armTimer(this.#limits.quietMs);
  }

  #armTimer(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const burst = this.#burst;
      if (!burst) return;
      const quietFor = this.#now() - burst.lastAt;
      if (quietFor < this.#limits.quietMs) this.#armTimer(this.#limits.quietMs - quietFor);
      else this.#endBurst();
    }, ms);
  }

  #endBurst(): void {
    const burst = this.#burst;
    this.#burst = undefined;
    // A burst of one was fully told by its first line.
    if (burst && burst.failed + burst.refused > 1) this.#log(`${this.#summary(burst, burst.lastAt)}; burst over`);
  }

  #summary(burst: Burst, now: number): string {
    const seconds = Math.max(1, Math.round((now - burst.startedAt) / 1000));
    const l = this.#limits;
    return (
      `authentication on ${this.#what}: ${burst.failed} failed and ${burst.refused} refused handshake(s) in ${seconds} s ` +
      `(limits: ${l.burst} failures, then 1 per ${l.intervalMs / 1000} s; ${l.perPeer} per peer)`
    );
  }
}
