/**
 * The queue proxy on its own: a real RpcEndpoint whose peer is this test. The
 * test plays the served queue (it answers each batch call from an array) and
 * records what the proxy sent, so window sizes, read-ahead and the order of
 * written-behind results can be checked.
 */
import { describe, expect, it, vi } from 'vitest';
import { sleep } from '../../shared/backoff.js';
import { ConnectionClosedError, Full } from '../../shared/errors.js';
import { GET_BATCH, MAX_BATCH, PUT_BATCH } from '../../shared/queue/batch.js';
import { queueProxy } from '../../shared/queue/proxy.js';
import type { Queue } from '../../shared/queue/queue.js';
import type { BlockingOptions } from '../../shared/queue/types.js';
import { RpcEndpoint } from '../../shared/rpc/endpoint.js';
import { CAST_ERROR_ID, Kind, type Message } from '../../shared/rpc/protocol.js';
import { type ProxyInfo, type ProxyOf, proxyInfo } from '../../shared/rpc/proxy.js';

const OBJECT_ID = 7;

interface Options {
  bounded?: boolean;
  prefetch?: number;
  /** The share each answer claims instead (a master whose other workers may empty the queue meanwhile). */
  share?: number;
  /** Peers the served queue divides what is left among (the share in each answer, default 1); 0 sends share 0. */
  consumers?: number;
  /** Blocking gets with a timeout wait for items (`push`) up to that timeout, as a served queue's do. */
  waits?: boolean;
  /** Answers up to the `upTo` each GET_BATCH names, as a master of this version does while its queue has plenty. */
  answersUpTo?: boolean;
  /** Called as each GET_BATCH is sent, before it is answered. */
  onBatch?: (asked: number, block: boolean | undefined) => void;
}

function harness(options: Options = {}) {
  const consumers = options.consumers ?? 1;
  /** What the served queue holds. */
  const queued: number[] = [];
  /** Every GET_BATCH as [asked, block], and every message in order. */
  const batches: Array<{ asked: number; block: boolean | undefined; timeout?: number | null }> = [];
  /** The `upTo` each GET_BATCH named (what the proxy may hold by its pace), in order. */
  const upTos: number[] = [];
  const sent: Message[] = [];
  /** Blocking gets waiting for items (with `waits`), oldest first. */
  const parked: Array<{ id: number; asked: number; timer: ReturnType<typeof setTimeout> }> = [];
  let rpc: RpcEndpoint;
  let silent = false;
  // Never waits: an empty queue answers Empty at once, as a served queue does after a zero timeout.
  const answer = (id: number, asked: number) => {
    const items = queued.splice(0, asked);
    if (items.length === 0) rpc.handle([Kind.Error, id, 'Empty', 'queue is empty', 'QUEUE_EMPTY']);
    else
      rpc.handle([
        Kind.Result,
        id,
        { items, share: options.share ?? (consumers ? Math.ceil(queued.length / consumers) : 0) },
      ]);
  };
  rpc = new RpcEndpoint((message) => {
    sent.push(message);
    if (message[0] === Kind.Call && message[3] === GET_BATCH) {
      const [askedFor, blocking, upTo] = message[4] as [number, BlockingOptions, number];
      batches.push({ asked: askedFor, block: blocking.block, timeout: blocking.timeout });
      upTos.push(upTo);
      options.onBatch?.(askedFor, blocking.block);
      const asked = options.answersUpTo ? upTo : askedFor;
      const id = message[1];
      if (silent) return;
      const { timeout } = blocking;
      if (options.waits && queued.length === 0 && blocking.block !== false && typeof timeout === 'number') {
        const timer = setTimeout(() => {
          parked.splice(
            parked.findIndex((p) => p.id === id),
            1,
          );
          answer(id, asked);
        }, timeout * 1000);
        parked.push({ id, asked, timer });
        return;
      }
      setTimeout(() => answer(id, asked), 0);
    }
  }, undefined);
  let hooksRemoved = 0;
  const addFlushHook = rpc.addFlushHook.bind(rpc);
  rpc.addFlushHook = (flush) => {
    const remove = addFlushHook(flush);
    return () => {
      hooksRemoved++;
      return remove();
    };
  };
  /** The plain proxy's put (one call per item), which the queue proxy keeps for bounded queues. */
  const plainPuts: number[] = [];
  const base: Record<string | symbol, unknown> = { put: async (item: number) => void plainPuts.push(item) };
  const info: ProxyInfo = { exposed: ['get', 'put'], release: () => rpc.release(OBJECT_ID) };
  base[proxyInfo] = info;
  const proxy = queueProxy<number>(base, rpc, OBJECT_ID, options.bounded ?? false, {
    prefetch: options.prefetch ?? 512,
    batchResults: true,
  }) as ProxyOf<Queue<number>>;
  const putBatches = () =>
    sent
      .filter((m) => m[0] === Kind.Cast && m[2] === PUT_BATCH)
      .map((m) => (m as [Kind.Cast, number, string, unknown[]])[3][0]);
  /** From now on nothing is answered, not even the gets already waiting (a master that died). */
  const silence = () => {
    silent = true;
    for (const waiting of parked.splice(0)) clearTimeout(waiting.timer);
  };
  /** Items put into the served queue: waiting gets are answered first, oldest first. */
  const push = (...items: number[]) => {
    queued.push(...items);
    while (parked.length > 0 && queued.length > 0) {
      const waiting = parked.shift() as (typeof parked)[number];
      clearTimeout(waiting.timer);
      answer(waiting.id, waiting.asked);
    }
  };
  return {
    rpc,
    proxy,
    queued,
    push,
    parked,
    silence,
    batches,
    upTos,
    sent,
    putBatches,
    plainPuts,
    hooksRemoved: () => hooksRemoved,
  };
}

const release = (proxy: object) => (proxy as { [proxyInfo]: ProxyInfo })[proxyInfo].release();
const flushTimers = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe('queue proxy: prefetch', () => {
  it('starts with one item and doubles its window while the queue has plenty, up to prefetch', async () => {
    const h = harness({ prefetch: 16, consumers: 1000 });
    for (let n = 0; n < 200; n++) h.queued.push(n);
    const got: number[] = [];
    for (let n = 0; n < 100; n++) got.push(await h.proxy.get());
    expect(got).toEqual(Array.from({ length: 100 }, (_, n) => n));
    const sizes = h.batches.map((b) => b.asked);
    expect(sizes.slice(0, 5)).toEqual([1, 2, 4, 8, 16]);
    expect(Math.max(...sizes)).toBe(16);
  });

  it('goes straight to its share of a long queue, up to prefetch, after a first item', async () => {
    const h = harness({ prefetch: 64, consumers: 3 });
    for (let n = 0; n < 3000; n++) h.queued.push(n);
    for (let n = 0; n < 200; n++) expect(await h.proxy.get()).toBe(n);
    // 2,999 left among 3 peers is 1,000 each: the window jumps from 1 to its cap, not 2, 4, 8, ...
    expect(h.batches.slice(0, 3).map((b) => b.asked)).toEqual([1, 64, 64]);
  });

  it('keeps doubling when its share is smaller than that', async () => {
    const h = harness({ prefetch: 256, consumers: 1000 });
    for (let n = 0; n < 300; n++) h.queued.push(n);
    for (let n = 0; n < 30; n++) await h.proxy.get();
    expect(h.batches.slice(0, 4).map((b) => b.asked)).toEqual([1, 2, 4, 8]);
  });

  it('reads no further ahead once a batch has emptied the queue (share 0)', async () => {
    const h = harness({ prefetch: 16, consumers: 1000 });
    for (let n = 0; n < 7; n++) h.queued.push(n);
    for (let n = 0; n < 7; n++) expect(await h.proxy.get()).toBe(n);
    await flushTimers();
    // 1, 2, then a read-ahead of 4 that left the queue empty: none after it, which would bring back an Empty.
    expect(h.batches).toEqual([
      { asked: 1, block: undefined },
      { asked: 2, block: undefined },
      { asked: 4, block: false },
    ]);
    h.queued.push(7);
    expect(await h.proxy.get()).toBe(7);
  });

  it('shrinks back to what the queue had when it ran short', async () => {
    const h = harness({ prefetch: 16 });
    for (let n = 0; n < 7; n++) h.queued.push(n);
    const got: number[] = [];
    for (let n = 0; n < 7; n++) got.push(await h.proxy.get());
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await expect(h.proxy.get({ timeout: 0 })).rejects.toMatchObject({ name: 'Empty' });
    // After a get that waited out its timeout (here 0 s) the window starts again at one item.
    h.queued.push(7);
    expect(await h.proxy.get()).toBe(7);
    expect(h.batches.filter((b) => b.block !== false).at(-1)?.asked).toBe(1);
  });

  it('keeps its window when a read-ahead finds the queue empty for a moment', async () => {
    // Each answer says more is left, as a master whose other workers then take it says.
    const h = harness({ prefetch: 16, share: 1 });
    for (let n = 0; n < 7; n++) h.queued.push(n);
    for (let n = 0; n < 7; n++) await h.proxy.get();
    await flushTimers();
    // The read-ahead for 8 found nothing; a master between slices of its put loop looks like that.
    expect(h.batches.at(-1)).toEqual({ asked: 8, block: false });
    for (let n = 7; n < 40; n++) h.queued.push(n);
    expect(await h.proxy.get()).toBe(7);
    expect(h.batches.filter((b) => b.block !== false).at(-1)?.asked).toBe(8);
  });

  it("names its pace's limit as upTo, and takes an answer that big in one batch", async () => {
    const h = harness({ prefetch: 64, consumers: 1000, answersUpTo: true });
    for (let n = 0; n < 300; n++) h.queued.push(n);
    for (let n = 0; n < 65; n++) expect(await h.proxy.get()).toBe(n);
    // Pace unknown: one item, and no more allowed. Then the fast pace allows the whole prefetch at once,
    // though the share (300 among 1,000 peers) sized the ask at 2.
    expect(h.batches.slice(0, 2).map((b) => b.asked)).toEqual([1, 2]);
    expect(h.upTos.slice(0, 2)).toEqual([1, 64]);
    expect(h.batches.filter((b) => b.block !== false)).toHaveLength(2);
  });

  it('refuses an answer of more than upTo items with ProtocolError', async () => {
    const h = harness({ prefetch: 8 });
    const original = h.rpc.handle.bind(h.rpc);
    let broken = true;
    h.rpc.handle = (message) => {
      if (broken && message[0] === Kind.Result) {
        broken = false;
        // Two items for a first get, whose upTo is 1.
        return original([Kind.Result, message[1], { items: [1, 2], share: 0 }]);
      }
      return original(message);
    };
    h.queued.push(3, 4);
    await expect(h.proxy.get()).rejects.toMatchObject({
      name: 'ProtocolError',
      message: expect.stringContaining('at most 1 items'),
    });
    expect(await h.proxy.get()).toBe(4);
  });

  it('rejects a malformed batch answer with ProtocolError, and the next get asks again', async () => {
    const h = harness();
    const original = h.rpc.handle.bind(h.rpc);
    let broken = true;
    h.rpc.handle = (message) => {
      if (broken && message[0] === Kind.Result) {
        broken = false;
        // A bare list: the answer's shape before shares.
        return original([Kind.Result, message[1], [1]]);
      }
      return original(message);
    };
    h.queued.push(1, 2);
    await expect(h.proxy.get()).rejects.toMatchObject({ name: 'ProtocolError', code: 'PROTOCOL_VIOLATION' });
    expect(await h.proxy.get()).toBe(2);
  });

  it('reads ahead without blocking while items are still buffered', async () => {
    const h = harness({ prefetch: 8 });
    for (let n = 0; n < 100; n++) h.queued.push(n);
    for (let n = 0; n < 30; n++) await h.proxy.get();
    const readAheads = h.batches.filter((b) => b.block === false);
    expect(readAheads.length).toBeGreaterThan(0);
    // The user's own gets never asked to block the link: all blocking batches came from empty buffers.
    expect(h.batches.length).toBeLessThan(30);
  });

  /** Gets of `count` items, recording how many items the proxy held when it sent each read-ahead. */
  async function readAheadsOf(count: number, pauseMs: number, share?: number) {
    let called = 0;
    const held: Array<{ held: number; asked: number }> = [];
    const h = harness({
      prefetch: 64,
      consumers: 1,
      share,
      // What left the served queue, less what the consumer asked for: what the proxy holds now.
      onBatch: (asked, block) => block === false && held.push({ held: 1000 - h.queued.length - called, asked }),
    });
    for (let n = 0; n < 1000; n++) h.queued.push(n);
    for (let n = 0; n < count; n++) {
      called++;
      expect(await h.proxy.get()).toBe(n);
      if (pauseMs > 0) await sleep(pauseMs);
    }
    return held;
  }

  it('reads ahead at once when a fast consumer would use its buffer up within two round trips', async () => {
    // Microseconds per item against a round trip of a timer turn: a read-ahead leaves with most of the
    // window still here (63 of 64 after the first), not once half of it is used.
    const held = await readAheadsOf(300, 0);
    expect(held.some((r) => r.held * 2 > r.asked)).toBe(true);
    expect(held.find((r) => r.asked === 64)?.held).toBeGreaterThan(32);
  });

  it('keeps a fast consumer to the half-buffer rule near the end of a queue (its share below a window)', async () => {
    // Each answer says 10 are left for this worker: an early request could wait at the queue beside a full buffer.
    const held = await readAheadsOf(300, 0, 10);
    expect(held.length).toBeGreaterThan(2);
    for (const r of held) expect(r.held * 2).toBeLessThanOrEqual(r.asked);
  });

  it('keeps a slow consumer to the half-buffer rule: its buffer lasts many round trips', async () => {
    // 10 ms per item: the pace holds the window to about 5 items (50 ms of work).
    const held = await readAheadsOf(20, 10);
    expect(held.length).toBeGreaterThan(2);
    for (const r of held) expect(r.held * 2).toBeLessThanOrEqual(r.asked);
  });

  it('refuses a bad timeout even when an item is already buffered', async () => {
    const h = harness();
    for (let n = 0; n < 10; n++) h.queued.push(n);
    await h.proxy.get();
    await h.proxy.get();
    expect(() => h.proxy.get({ timeout: -1 })).toThrow(RangeError);
    expect(() => h.proxy.get({ timeout: Number.NaN })).toThrow(/timeout/);
  });
});

describe('queue proxy: a read-ahead that waits', () => {
  /**
   * Three items, gets with `timeout`, each answer claiming more is left: the
   * proxy takes 1, then 2, and reads ahead for 4 while it still holds one,
   * which finds the queue empty and waits there. Returns once it waits.
   */
  async function readAheadWaiting(timeout: number) {
    const h = harness({ prefetch: 8, share: 1, waits: true });
    h.push(0, 1, 2);
    for (let n = 0; n < 2; n++) expect(await h.proxy.get({ timeout })).toBe(n);
    await vi.waitFor(() => expect(h.parked).toHaveLength(1));
    expect(h.batches.at(-1)).toEqual({ asked: 4, block: undefined, timeout });
    expect(await h.proxy.get({ timeout })).toBe(2);
    return h;
  }

  it('waits at the queue within the timeout of the get that started it, and the next get takes what it brings', async () => {
    const h = await readAheadWaiting(5);
    const next = h.proxy.get({ timeout: 5 });
    await flushTimers();
    // No second request while the first waits: the get waits for the read-ahead.
    expect(h.batches).toHaveLength(3);
    h.push(10, 11);
    expect(await next).toBe(10);
    expect(await h.proxy.get({ timeout: 5 })).toBe(11);
  });

  it('asks again for what is left of a get timeout when the read-ahead comes back empty first', async () => {
    // Seconds, not milliseconds: under a loaded machine's timer delays, what is left must still be there.
    const h = await readAheadWaiting(1);
    await sleep(500);
    // This get started about 0.5 s after the read-ahead: it outlives it by as much.
    const next = h.proxy.get({ timeout: 1 });
    await vi.waitFor(() => expect(h.batches).toHaveLength(4), { timeout: 3000 });
    const again = h.batches[3];
    expect(again.asked).toBe(1);
    expect(again.timeout).toBeGreaterThan(0);
    expect(again.timeout).toBeLessThan(0.9);
    h.push(42);
    expect(await next).toBe(42);
  });

  it('sends no second request beside a waiting read-ahead: a get waits for its answer, even past a shorter timeout', async () => {
    const h = await readAheadWaiting(5);
    let settled = false;
    const next = h.proxy.get({ timeout: 0.02 });
    void next.then(() => {
      settled = true;
    });
    await sleep(60);
    // A request of its own would wait at the queue while the read-ahead's items may be on their way here;
    // every worker doing so at the end of a run held the others' Empty forever (found with 500 workers).
    expect(settled).toBe(false);
    expect(h.batches).toHaveLength(3);
    h.push(5);
    expect(await next).toBe(5);
  });

  it('lets a non-blocking get ask beside a waiting read-ahead, and gives it what the read-ahead brings meanwhile', async () => {
    const h = await readAheadWaiting(5);
    await expect(h.proxy.getNowait()).rejects.toMatchObject({ name: 'Empty', code: 'QUEUE_EMPTY' });
    expect(h.batches.at(-1)).toMatchObject({ block: false });
    // Asked again; before the queue's Empty for it comes back, the read-ahead receives an item.
    const next = h.proxy.getNowait();
    h.push(9);
    expect(await next).toBe(9);
  });

  it('does not take a silent master for an empty queue: the get ends with the connection', async () => {
    const h = await readAheadWaiting(5);
    // A master SIGKILLed: nothing answers any more, and the connection ends only once that is noticed.
    h.silence();
    let settled = false;
    const next = h.proxy.get({ timeout: 0.02 });
    next.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await sleep(100);
    expect(settled).toBe(false);
    h.rpc.close();
    await expect(next).rejects.toMatchObject({ name: 'ConnectionClosedError', code: 'CONNECTION_CLOSED' });
  });

  it('reads ahead without waiting when the get that starts it waits forever or not at all', async () => {
    for (const blocking of [{}, { timeout: null }, { block: false }]) {
      const h = harness({ prefetch: 8, share: 1, waits: true });
      h.push(0, 1, 2);
      for (let n = 0; n < 3; n++) expect(await h.proxy.get(blocking)).toBe(n);
      await flushTimers();
      expect(h.batches.at(-1)).toMatchObject({ asked: 4, block: false });
      expect(h.parked).toHaveLength(0);
    }
  });
});

describe('queue proxy: write-behind', () => {
  it('sends results in batches, in order, before the next call', async () => {
    const h = harness();
    for (let n = 0; n < 5; n++) await h.proxy.put(n * n);
    h.queued.push(1);
    await h.proxy.get();
    expect(h.putBatches()).toEqual([[0, 1, 4, 9, 16]]);
    const castAt = h.sent.findIndex((m) => m[0] === Kind.Cast);
    const getAt = h.sent.findIndex((m) => m[0] === Kind.Call);
    expect(castAt).toBeLessThan(getAt);
  });

  it('sends a full batch (MAX_BATCH results) at once, without waiting for the timer', async () => {
    const h = harness();
    for (let n = 0; n < MAX_BATCH + 3; n++) await h.proxy.put(n);
    // No timer has run yet: the first MAX_BATCH left as one message the moment the batch was full.
    expect(h.putBatches()).toEqual([Array.from({ length: MAX_BATCH }, (_, n) => n)]);
    await flushTimers();
    expect(h.putBatches().slice(1)).toEqual([[MAX_BATCH, MAX_BATCH + 1, MAX_BATCH + 2]]);
  });

  it('reports a failed batch to every later call', async () => {
    const h = harness();
    await h.proxy.put(1);
    await flushTimers();
    h.rpc.handle([Kind.Error, CAST_ERROR_ID, 'Full', 'a batch of 1 does not fit', 'QUEUE_FULL']);
    await expect(h.proxy.put(2)).rejects.toBeInstanceOf(Full);
    await expect(h.proxy.get()).rejects.toMatchObject({ name: 'Full', code: 'QUEUE_FULL' });
  });

  it('writes through (no batches) to a bounded queue', async () => {
    const h = harness({ bounded: true });
    await h.proxy.put(1);
    await h.proxy.put(2);
    await flushTimers();
    expect(h.plainPuts).toEqual([1, 2]);
    expect(h.putBatches()).toEqual([]);
  });

  it('refuses a bad timeout on a written-behind put', () => {
    const h = harness();
    expect(() => h.proxy.put(1, { timeout: -5 })).toThrow(RangeError);
  });
});

describe('queue proxy: release', () => {
  it('flushes pending results, then releases, and stops listening for flushes', async () => {
    const h = harness();
    await h.proxy.put(1);
    await h.proxy.put(2);
    release(h.proxy);
    expect(h.putBatches()).toEqual([[1, 2]]);
    const castAt = h.sent.findIndex((m) => m[0] === Kind.Cast);
    const releaseAt = h.sent.findIndex((m) => m[0] === Kind.Release);
    expect(castAt).toBeGreaterThanOrEqual(0);
    expect(castAt).toBeLessThan(releaseAt);
    expect(h.hooksRemoved()).toBe(1);
    await expect(h.proxy.put(3)).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(h.proxy.get()).rejects.toMatchObject({ code: 'PROXY_RELEASED' });
  });
});
