/**
 * The end-of-work rule on the serving side: a remote `get`'s Empty means
 * "nothing queued and nothing in flight at other peers"; live callers are
 * served before silent ones; deliveries to a silent peer do not count.
 */
import { describe, expect, it } from 'vitest';
import { Empty, Full } from '../../shared/errors.js';
import { GET_BATCH, PUT_BATCH } from '../../shared/queue/batch.js';
import { nextSliceMs } from '../../shared/queue/event-loop-turns.js';
import { Queue } from '../../shared/queue/queue.js';
import { type RemoteCallContext, remoteCall } from '../../shared/rpc/served.js';
import { putsBeforeTimer } from '../support/put-loop-turns.js';
import { remoteCaller } from '../support/remote-caller.js';

const call = <T>(q: Queue<T>, ctx: RemoteCallContext, method: string, ...args: unknown[]) =>
  q[remoteCall](method, args, ctx);

describe('a remote get while other peers hold leases', () => {
  it('waits past its timeout until the leases are acknowledged, then raises Empty', async () => {
    const tasks = new Queue<number>();
    const results = new Queue<string>();
    const busy = remoteCaller();
    const idle = remoteCaller();
    tasks.putNowait(1);
    expect(await call(tasks, busy, 'get')).toBe(1);
    expect(tasks.inFlight()).toBe(1);
    let settled = false;
    const waiting = call(tasks, idle, 'get', { timeout: 0.02 }).finally(() => {
      settled = true;
    });
    waiting.catch(() => {});
    await new Promise((r) => setTimeout(r, 60));
    expect(settled).toBe(false); // the timeout passed, but item 1 may still come back
    await call(results, busy, 'put', '1 done'); // acknowledges busy's lease
    expect(tasks.inFlight()).toBe(0);
    await expect(waiting).rejects.toBeInstanceOf(Empty);
  });

  it('receives the item when its holder dies instead', async () => {
    const tasks = new Queue<number>();
    const dying = remoteCaller();
    const idle = remoteCaller();
    tasks.putNowait(7);
    await call(tasks, dying, GET_BATCH, 8, {});
    const waiting = call(tasks, idle, GET_BATCH, 8, { timeout: 0.01 });
    await new Promise((r) => setTimeout(r, 30));
    dying.ledger.releaseAll('heartbeat lost');
    expect(await waiting).toEqual({ items: [7], share: 0 });
    expect(tasks.inFlight()).toBe(1);
  });

  it("does not wait for the caller's own leases", async () => {
    const tasks = new Queue<number>();
    const me = remoteCaller();
    tasks.putNowait(1);
    await call(tasks, me, 'get');
    await expect(call(tasks, me, 'get', { timeout: 0.01 })).rejects.toBeInstanceOf(Empty);
  });

  it('a non-blocking get raises Empty at once, as in Python', async () => {
    const tasks = new Queue<number>();
    tasks.putNowait(1);
    await call(tasks, remoteCaller(), 'get');
    await expect(call(tasks, remoteCaller(), 'get', { block: false })).rejects.toBeInstanceOf(Empty);
  });
});

describe('silent peers', () => {
  it('an item goes to a live waiting peer before a silent one that waited longer', async () => {
    const tasks = new Queue<number>();
    const silent = remoteCaller(false);
    const live = remoteCaller(true);
    const first = call(tasks, silent, 'get');
    const second = call(tasks, live, 'get');
    tasks.putNowait(5);
    expect(await second).toBe(5);
    silent.abort();
    await expect(first).rejects.toBeDefined();
  });

  it('a delivery to a silent peer does not count toward maxDeliveries', async () => {
    const tasks = new Queue<number>({ maxDeliveries: 1 });
    const silent = remoteCaller(false);
    tasks.putNowait(9);
    await call(tasks, silent, 'get');
    silent.ledger.releaseAll('heartbeat lost');
    expect(tasks.deadLetters.qsize()).toBe(0);
    expect(tasks.qsize()).toBe(1);
    const live = remoteCaller(true);
    await call(tasks, live, 'get');
    live.ledger.releaseAll('heartbeat lost');
    expect(tasks.deadLetters.qsize()).toBe(1);
  });
});

describe('peers killed while their get waits', () => {
  it('a batch handed to a waiting get of a peer not heard from within a heartbeat does not count a delivery', async () => {
    const tasks = new Queue<number>({ maxDeliveries: 1 });
    const killed = remoteCaller();
    // Its get waits at the queue; then the peer is SIGKILLed: still "heard from" (preferred), but not lately.
    const waiting = call(tasks, killed, GET_BATCH, 8, { timeout: 5 });
    killed.lately.value = false;
    tasks.putNowait(9);
    expect(await waiting).toEqual({ items: [9], share: 0 });
    killed.ledger.releaseAll('heartbeat lost');
    // Not counted: the task is back in the queue, not among the dead letters.
    expect(tasks.deadLetters.qsize()).toBe(0);
    expect(tasks.qsize()).toBe(1);
    // A peer that just asked counts as usual: with maxDeliveries 1, its death sends the task to the dead letters.
    const asking = remoteCaller();
    await call(tasks, asking, GET_BATCH, 8, {});
    asking.ledger.releaseAll('heartbeat lost');
    expect(tasks.deadLetters.qsize()).toBe(1);
  });
});

describe('__putBatch', () => {
  it('is refused whole past maxsize, leaving the leases unacknowledged', async () => {
    const tasks = new Queue<number>();
    const results = new Queue<string>(2);
    const w = remoteCaller();
    tasks.putNowait(1);
    await call(tasks, w, 'get');
    await expect(call(results, w, PUT_BATCH, ['a', 'b', 'c'])).rejects.toBeInstanceOf(Full);
    expect(results.qsize()).toBe(0);
    expect(tasks.inFlight()).toBe(1);
  });
});

it('a long run of local puts lets the event loop turn', async () => {
  expect(await putsBeforeTimer(Queue)).toBeDefined();
});

it("a run of puts yields for as long as the loop's last turn took, within 10 and 100 ms", () => {
  expect(nextSliceMs(0.5)).toBe(10);
  expect(nextSliceMs(40)).toBe(40);
  expect(nextSliceMs(450)).toBe(100);
});
