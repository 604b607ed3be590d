import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LeasedEntry, LeaseLedger, type LeaseOwner } from '../../shared/queue/leases.js';

/** A queue as the ledger sees it: records what comes back and what is acknowledged. */
function owner(leaseTimeout: number | null = null) {
  const redelivered: Array<{ id: number; reason: string }> = [];
  const acknowledged: number[] = [];
  const queue: LeaseOwner = {
    leaseTimeout,
    redeliver: (entry, reason) => redelivered.push({ id: entry.id, reason }),
    acknowledged: (entry) => acknowledged.push(entry.id),
  };
  return { queue, redelivered, acknowledged };
}
const entry = (id: number): LeasedEntry => ({ id });

afterEach(() => {
  vi.useRealTimers();
});

describe('LeaseLedger', () => {
  it('answers the oldest lease first, whichever queue it came from', () => {
    const tasks = owner();
    const other = owner();
    const ledger = new LeaseLedger();
    ledger.add(tasks.queue, entry(1));
    ledger.add(other.queue, entry(2));
    ledger.add(tasks.queue, entry(3));
    expect(ledger.size).toBe(3);
    const first = ledger.takeOldest();
    expect(first?.entry.id).toBe(1);
    ledger.acknowledge(first as NonNullable<typeof first>);
    expect(tasks.acknowledged).toEqual([1]);
    expect(ledger.takeOldest()?.entry.id).toBe(2);
    expect(ledger.size).toBe(1);
  });

  it('restores a lease whose put failed as the oldest again', () => {
    const tasks = owner();
    const ledger = new LeaseLedger();
    ledger.add(tasks.queue, entry(1));
    ledger.add(tasks.queue, entry(2));
    const lease = ledger.takeOldest();
    ledger.restore(lease as NonNullable<typeof lease>);
    expect(ledger.takeOldest()?.entry.id).toBe(1);
    expect(tasks.acknowledged).toEqual([]);
  });

  it('acknowledges the oldest lease of one queue on taskDone, leaving a hole the others skip', () => {
    const tasks = owner();
    const other = owner();
    const ledger = new LeaseLedger();
    ledger.add(other.queue, entry(1));
    ledger.add(tasks.queue, entry(2));
    ledger.add(other.queue, entry(3));
    expect(ledger.ackOldestOf(tasks.queue)).toBe(2);
    expect(tasks.acknowledged).toEqual([2]);
    expect(ledger.ackOldestOf(tasks.queue)).toBeUndefined();
    expect(ledger.countOf(other.queue)).toBe(2);
    expect(ledger.takeOldest()?.entry.id).toBe(1);
    expect(ledger.takeOldest()?.entry.id).toBe(3);
    expect(ledger.takeOldest()).toBeUndefined();
  });

  it('gives every lease back, oldest last (so it ends at the head), when the connection ends', () => {
    const tasks = owner();
    const ledger = new LeaseLedger();
    for (const id of [1, 2, 3]) ledger.add(tasks.queue, entry(id));
    ledger.releaseAll('heartbeat lost');
    expect(tasks.redelivered).toEqual([
      { id: 3, reason: 'heartbeat lost' },
      { id: 2, reason: 'heartbeat lost' },
      { id: 1, reason: 'heartbeat lost' },
    ]);
    expect(ledger.size).toBe(0);
    // Delivered after the connection ended: straight back.
    ledger.add(tasks.queue, entry(4));
    expect(tasks.redelivered.at(-1)).toEqual({ id: 4, reason: 'connection closed before delivery' });
  });

  it('redelivers an expired lease once; its late answer still answers it, without a second acknowledgement', () => {
    vi.useFakeTimers();
    const tasks = owner(1);
    const ledger = new LeaseLedger();
    ledger.add(tasks.queue, entry(1));
    ledger.add(tasks.queue, entry(2));
    vi.advanceTimersByTime(1_500);
    expect(tasks.redelivered.map((r) => r.id)).toEqual([1, 2]);
    expect(tasks.redelivered[0].reason).toBe('lease expired');
    expect(ledger.countOf(tasks.queue)).toBe(0);
    const late = ledger.takeOldest();
    expect(late?.entry.id).toBe(1);
    ledger.acknowledge(late as NonNullable<typeof late>);
    expect(tasks.acknowledged).toEqual([]);
    ledger.releaseAll('closed');
    expect(tasks.redelivered).toHaveLength(2); // expired leases are not given back twice
  });

  it('extends the deadline of expiring leases (a worker still busy)', () => {
    vi.useFakeTimers();
    const tasks = owner(1);
    const forever = owner(null);
    const ledger = new LeaseLedger();
    ledger.add(tasks.queue, entry(1));
    ledger.add(forever.queue, entry(2));
    vi.advanceTimersByTime(600);
    expect(ledger.extend(tasks.queue, 5)).toBe(1);
    expect(ledger.extend(forever.queue, 5)).toBe(0);
    vi.advanceTimersByTime(2_000);
    expect(tasks.redelivered).toEqual([]);
    vi.advanceTimersByTime(4_000);
    expect(tasks.redelivered.map((r) => r.id)).toEqual([1]);
    ledger.releaseAll('done');
  });
});
