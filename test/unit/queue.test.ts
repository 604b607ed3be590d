import { describe, expect, it } from 'vitest';
import { Empty, Full, ShutDown } from '../../shared/errors.js';
import { JoinableQueue, Queue } from '../../shared/queue/queue.js';

describe('Queue (Python semantics)', () => {
  it('is FIFO with qsize, empty and full', async () => {
    const q = new Queue<number>(2);
    expect(q.empty()).toBe(true);
    await q.put(1);
    q.putNowait(2);
    expect([q.qsize(), q.full(), q.maxsize]).toEqual([2, true, 2]);
    expect(await q.get()).toBe(1);
    expect(q.getNowait()).toBe(2);
    expect(q.empty()).toBe(true);
  });

  it('raises Empty and Full without blocking, or after the timeout', async () => {
    const q = new Queue<number>(1);
    expect(() => q.getNowait()).toThrow(Empty);
    await expect(q.get({ block: false })).rejects.toThrow(Empty);
    const started = performance.now();
    await expect(q.get({ timeout: 0.05 })).rejects.toBeInstanceOf(Empty);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    q.putNowait(1);
    expect(() => q.putNowait(2)).toThrow(Full);
    await expect(q.put(2, { timeout: 0.01 })).rejects.toBeInstanceOf(Full);
  });

  it('applies backpressure: put waits for room in a bounded queue', async () => {
    const q = new Queue<string>(1);
    await q.put('a');
    let putDone = false;
    const pending = q.put('b').then(() => {
      putDone = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(putDone).toBe(false);
    expect(await q.get()).toBe('a');
    await pending;
    expect(await q.get()).toBe('b');
  });

  it('hands items to waiting getters in arrival order', async () => {
    const q = new Queue<number>();
    const first = q.get();
    const second = q.get();
    q.putNowait(1);
    q.putNowait(2);
    expect([await first, await second]).toEqual([1, 2]);
  });

  it('cancels a wait when its signal aborts', async () => {
    const q = new Queue<number>();
    const controller = new AbortController();
    const waiting = q.get({ signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(Empty);
    q.putNowait(5);
    expect(q.qsize()).toBe(1); // the cancelled getter did not swallow it
  });

  it('rejects bad timeouts and sizes with errors naming them', async () => {
    const q = new Queue<number>();
    await expect(q.get({ timeout: -1 })).rejects.toThrow(/'timeout' must be a non-negative number of seconds/);
    expect(() => new Queue<number>(1.5)).toThrow(/'maxsize' must be an integer/);
    expect(() => new Queue<number>({ maxDeliveries: 0 })).toThrow(/'maxDeliveries'/);
  });

  it('refuses a bad timeout even when an item is there, as Python does, and keeps the item', async () => {
    const q = new Queue<number>();
    q.putNowait(7);
    for (const timeout of [-1, Number.NaN, '1' as unknown as number]) {
      await expect(q.get({ timeout })).rejects.toThrow(RangeError);
      await expect(q.getEntry({ timeout })).rejects.toThrow(/'timeout' must be a non-negative number/);
    }
    expect(q.qsize()).toBe(1);
    expect(await q.get({ timeout: 0 })).toBe(7);
  });

  it('tracks unfinished tasks: taskDone and join', async () => {
    const q = new JoinableQueue<number>();
    q.putNowait(1);
    q.putNowait(2);
    let joined = false;
    const join = q.join().then(() => {
      joined = true;
    });
    q.getNowait();
    q.taskDone();
    await new Promise((r) => setTimeout(r, 5));
    expect(joined).toBe(false);
    q.getNowait();
    q.taskDone();
    await join;
    expect(joined).toBe(true);
    expect(() => q.taskDone()).toThrow(/more times than there were items/);
  });

  it('gives every item an id and puts requeued items at the head', async () => {
    const q = new Queue<string>();
    q.putNowait('a');
    q.putNowait('b');
    const entry = await q.getEntry();
    expect(entry).toMatchObject({ value: 'a', deliveries: 0, answers: undefined });
    expect(typeof entry.id).toBe('number');
    q.requeue('a');
    expect(q.getNowait()).toBe('a');
  });

  it('moves an item redelivered too often to the dead letters, with the reason', async () => {
    const q = new Queue<string>({ maxDeliveries: 2 });
    q.putNowait('poison');
    const entry = await q.getEntry();
    entry.deliveries = 2;
    q.redeliver(entry, 'worker died');
    expect(q.qsize()).toBe(0);
    expect(q.deadLetters.getNowait()).toMatchObject({ value: 'poison', deliveries: 2, reason: 'worker died' });
  });
});

describe('Queue.shutdown (Python 3.13)', () => {
  it('refuses puts, lets gets drain what is left, then raises ShutDown; waiters are released', async () => {
    const q = new Queue<string>(1);
    q.putNowait('left');
    const blockedPut = q.put('blocked');
    q.shutdown();
    expect(q.isShutdown).toBe(true);
    await expect(blockedPut).rejects.toBeInstanceOf(ShutDown);
    await expect(q.put('late')).rejects.toBeInstanceOf(ShutDown);
    expect(() => q.putNowait('late')).toThrow(ShutDown);
    expect(await q.get()).toBe('left');
    await expect(q.get()).rejects.toBeInstanceOf(ShutDown);
    expect(() => q.getNowait()).toThrow(ShutDown);

    const empty = new Queue<string>();
    const waiting = empty.get();
    empty.shutdown();
    await expect(waiting).rejects.toBeInstanceOf(ShutDown);
  });

  it('immediate: drops the items left and releases join()', async () => {
    const q = new JoinableQueue<number>();
    q.putNowait(1);
    q.putNowait(2);
    const joined = q.join();
    q.shutdown(true);
    await joined;
    expect(q.qsize()).toBe(0);
    await expect(q.get()).rejects.toBeInstanceOf(ShutDown);
  });
});

describe('LeaseLedger', () => {
  it('acknowledges first-in first-out, and a failed put gives its lease back as the oldest', async () => {
    const { LeaseLedger } = await import('../../shared/queue/leases.js');
    const q = new Queue<string>();
    const ledger = new LeaseLedger();
    for (const v of ['a', 'b', 'c']) q.putNowait(v);
    for (let i = 0; i < 3; i++) ledger.add(q, await q.getEntry());
    const a = ledger.takeOldest();
    expect(a?.entry).toMatchObject({ value: 'a' });
    ledger.restore(a as NonNullable<typeof a>);
    expect(ledger.takeOldest()?.entry).toMatchObject({ value: 'a' });
    ledger.releaseAll('connection lost');
    expect([q.getNowait(), q.getNowait()]).toEqual(['b', 'c']);
  });
});
