/**
 * Leases: every item a remote peer takes from a queue stays leased to that
 * peer until the peer acknowledges it. Acknowledgement is the reply-to link of
 * the seed's worker loop: the peer's next `put` (on any queue of the same
 * manager) answers, and so acknowledges, its oldest leased item; `taskDone()`
 * acknowledges one explicitly. If the peer's connection ends (closed, or
 * heartbeats lost) or a lease times out, the item goes back to the head of its
 * queue and is delivered again; after `maxDeliveries` it moves to the queue's
 * dead-letter queue instead.
 *
 * One ledger per connection, on the serving side; insertion order is delivery order.
 */

/** A leased queue item, as the ledger sees it. */
export interface LeasedEntry {
  readonly id: number;
}

/** The queue side of a lease: where an unacknowledged item goes back to. */
export interface LeaseOwner {
  /** Returns a delivered-but-unacknowledged entry to the head of the queue (or to its dead letters). */
  redeliver(entry: LeasedEntry, reason: string): void;
  /** The peer acknowledged `entry` (a result for it arrived, or `taskDone()`): it is no longer in flight. */
  acknowledged(entry: LeasedEntry): void;
  /** Seconds a lease lasts before it is redelivered; null: until the connection ends. */
  readonly leaseTimeout: number | null;
}

export interface Lease {
  owner: LeaseOwner;
  entry: LeasedEntry;
  /** performance.now() deadline, or Infinity. */
  expires: number;
  /**
   * Set once the lease timed out and the item was redelivered. The lease keeps
   * its place, so the peer's late result still answers this item (and shows as
   * a duplicate) instead of acknowledging the next item, which it has not processed.
   */
  expired?: boolean;
}

/** How often expired leases are looked for (only on ledgers holding leases that expire). */
const EXPIRY_SWEEP_MS = 250;

export class LeaseLedger {
  /**
   * Leases in delivery order, oldest at #head. Acknowledged slots in the middle
   * (`taskDone()` on one queue of several) become holes; the common case, the
   * oldest acknowledged first, is a plain shift. No map: this runs per item.
   */
  #slots: Array<Lease | undefined> = [];
  #head = 0;
  #live = 0;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  get size(): number {
    return this.#live;
  }

  /** Records that `entry` was delivered to this ledger's peer. */
  add(owner: LeaseOwner, entry: LeasedEntry): void {
    if (this.#closed) {
      owner.redeliver(entry, 'connection closed before delivery');
      return;
    }
    const timeout = owner.leaseTimeout;
    const expires = timeout === null ? Number.POSITIVE_INFINITY : performance.now() + timeout * 1000;
    this.#slots.push({ owner, entry, expires });
    this.#live++;
    if (timeout !== null && this.#sweeper === undefined) {
      this.#sweeper = setInterval(() => this.#sweep(), EXPIRY_SWEEP_MS);
    }
  }

  /** Removes and returns the oldest lease (the item a `put` answers); `restore` undoes it if the put fails. */
  takeOldest(): Lease | undefined {
    while (this.#head < this.#slots.length) {
      const lease = this.#slots[this.#head];
      this.#slots[this.#head++] = undefined;
      if (lease) {
        this.#live--;
        this.#compact();
        return lease;
      }
    }
    this.#compact();
    return undefined;
  }

  /** Gives back a lease taken with `takeOldest` (its put failed), as the oldest again. */
  restore(lease: Lease): void {
    if (this.#closed) {
      if (!lease.expired) lease.owner.redeliver(lease.entry, 'connection closed');
      return;
    }
    if (this.#head > 0) this.#slots[--this.#head] = lease;
    else this.#slots.unshift(lease);
    this.#live++;
  }

  /**
   * Settles a lease taken with `takeOldest` once the put that answers it is in.
   * An expired lease was already redelivered (and counted back), so only a
   * live one tells its queue that the item is no longer in flight.
   */
  acknowledge(lease: Lease): void {
    if (!lease.expired) lease.owner.acknowledged(lease.entry);
  }

  /** Acknowledges the oldest lease taken from `owner` (`taskDone()` on that queue). */
  ackOldestOf(owner: LeaseOwner): number | undefined {
    for (let i = this.#head; i < this.#slots.length; i++) {
      const lease = this.#slots[i];
      if (lease?.owner === owner) {
        this.#slots[i] = undefined;
        this.#live--;
        this.acknowledge(lease);
        return lease.entry.id;
      }
    }
    return undefined;
  }

  /** Live (unexpired, unacknowledged) leases of `owner` held by this ledger's peer. Walks the ledger: not per item. */
  countOf(owner: LeaseOwner): number {
    let count = 0;
    for (const lease of this.#liveLeases()) if (lease.owner === owner && !lease.expired) count++;
    return count;
  }

  /**
   * Acknowledges every lease `match` picks (a peer said it is done with what
   * it took some other way than a put, e.g. a CPython proxy released cleanly).
   * Returns how many.
   */
  acknowledgeWhere(match: (lease: Lease) => boolean): number {
    let count = 0;
    for (let i = this.#head; i < this.#slots.length; i++) {
      const lease = this.#slots[i];
      if (lease && match(lease)) {
        this.#slots[i] = undefined;
        this.#live--;
        this.acknowledge(lease);
        count++;
      }
    }
    return count;
  }

  /** Pushes back the deadline of every lease on `owner` by `seconds` from now (a worker still busy). */
  extend(owner: LeaseOwner, seconds: number): number {
    let count = 0;
    const expires = performance.now() + seconds * 1000;
    for (const lease of this.#liveLeases()) {
      if (lease.owner === owner && !lease.expired && lease.expires !== Number.POSITIVE_INFINITY) {
        lease.expires = Math.max(lease.expires, expires);
        count++;
      }
    }
    return count;
  }

  #sweep(): void {
    const now = performance.now();
    for (const lease of this.#liveLeases()) {
      if (!lease.expired && lease.expires <= now) {
        lease.expired = true;
        lease.owner.redeliver(lease.entry, 'lease expired');
      }
    }
  }

  /** The connection ended: every unacknowledged item goes back to its queue. */
  releaseAll(reason: string): void {
    this.#closed = true;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    const leases = [...this.#liveLeases()];
    this.#slots = [];
    this.#head = 0;
    this.#live = 0;
    // Oldest last, so that after the unshifts the oldest is again at the head.
    for (let i = leases.length - 1; i >= 0; i--) {
      if (!leases[i].expired) leases[i].owner.redeliver(leases[i].entry, reason);
    }
  }

  *#liveLeases(): Generator<Lease> {
    for (let i = this.#head; i < this.#slots.length; i++) {
      const lease = this.#slots[i];
      if (lease) yield lease;
    }
  }

  /** Drops the consumed prefix once it dominates, so memory follows the live leases. */
  #compact(): void {
    if (this.#head === this.#slots.length) {
      this.#slots.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#slots.length) {
      this.#slots = this.#slots.slice(this.#head);
      this.#head = 0;
    }
  }
}
