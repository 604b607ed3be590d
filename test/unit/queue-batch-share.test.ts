/**
 * The share in a batch answer, on the serving side: what is left in the
 * queue divided among the peers getting from it, each counted once and only
 * until its connection closes. And `waitingPeers()`, the count of peers with
 * a get waiting now, which a master waits on before putting a short run.
 */
import { describe, expect, it } from 'vitest';
import { GET_BATCH, type GetBatchReply, MAX_BATCH } from '../../shared/queue/batch.js';
import { Queue } from '../../shared/queue/queue.js';
import { type RemoteCallContext, remoteCall } from '../../shared/rpc/served.js';
import { remoteCaller } from '../support/remote-caller.js';

const getBatch = (q: Queue<number>, ctx: RemoteCallContext, max: number, options = {}, upTo?: unknown) =>
  q[remoteCall](GET_BATCH, upTo === undefined ? [max, options] : [max, options, upTo], ctx) as Promise<
    GetBatchReply<number>
  >;
const tick = () => new Promise((r) => setTimeout(r, 5));

describe("a batch answer's share", () => {
  it('divides what is left among the peers that got from the queue, until one leaves', async () => {
    const tasks = new Queue<number>();
    for (let n = 0; n < 100; n++) tasks.putNowait(n);
    const [a, b, c] = [remoteCaller(), remoteCaller(), remoteCaller()];
    expect(await getBatch(tasks, a, 10)).toMatchObject({ share: 90 });
    expect(await getBatch(tasks, b, 10)).toMatchObject({ share: 40 });
    // A peer's second call does not count it twice.
    expect(await getBatch(tasks, b, 10)).toMatchObject({ share: 35 });
    expect(await getBatch(tasks, c, 10)).toMatchObject({ items: Array.from({ length: 10 }, (_, n) => 30 + n) });
    expect(await getBatch(tasks, c, 1)).toMatchObject({ share: 20 });
    b.abort();
    expect(await getBatch(tasks, a, 1)).toMatchObject({ share: 29 });
  });

  it('is 0 once the queue is empty', async () => {
    const tasks = new Queue<number>();
    tasks.putNowait(1);
    expect(await getBatch(tasks, remoteCaller(), 8)).toEqual({ items: [1], share: 0 });
  });
});

describe('a batch get with upTo (what the caller may hold by its pace)', () => {
  const filled = (count: number) => {
    const q = new Queue<number>();
    for (let n = 0; n < count; n++) q.putNowait(n);
    return q;
  };

  it('gets up to its share of the queue as it is now, within upTo, when that is more than it asked', async () => {
    const tasks = filled(300);
    const [a, b] = [remoteCaller(), remoteCaller()];
    // Alone: its share is all 300, and upTo allows 100.
    expect((await getBatch(tasks, a, 2, {}, 100)).items).toEqual(Array.from({ length: 100 }, (_, n) => n));
    // Two peers now: b's share of the 200 left is 100, within its upTo of 1,000.
    expect((await getBatch(tasks, b, 2, {}, 1000)).items).toHaveLength(100);
    expect(tasks.qsize()).toBe(100);
    // A share smaller than what was asked never cuts the batch: a's share of 100 is 50, it asked for 60.
    expect((await getBatch(tasks, a, 60, {}, 1000)).items).toHaveLength(60);
  });

  it('gets what it asked for without upTo, as a peer of an older version does', async () => {
    const tasks = filled(300);
    expect((await getBatch(tasks, remoteCaller(), 2)).items).toEqual([0, 1]);
  });

  it('never gets more than MAX_BATCH, whatever upTo says', async () => {
    const tasks = filled(MAX_BATCH * 3);
    expect((await getBatch(tasks, remoteCaller(), 2, {}, MAX_BATCH * 10)).items).toHaveLength(MAX_BATCH);
  });

  it('counts the batch its get waited for at the share the put loop left behind', async () => {
    const tasks = new Queue<number>();
    const waiting = getBatch(tasks, remoteCaller(), 2, {}, 1000);
    await tick();
    for (let n = 0; n < 500; n++) await tasks.put(n);
    expect((await waiting).items).toHaveLength(500);
  });

  it.each([
    ['below max', 1],
    ['not an integer', 2.5],
    ['a string', '9'],
    ['null', null],
  ])('refuses an upTo %s with a TypeError naming it, and keeps every item', async (_what, upTo) => {
    const tasks = filled(10);
    await expect(getBatch(tasks, remoteCaller(), 2, {}, upTo)).rejects.toThrow(
      new TypeError(`'upTo' must be an integer of at least 2, got ${String(upTo)} (${typeof upTo})`),
    );
    expect(tasks.qsize()).toBe(10);
    expect(tasks.inFlight()).toBe(0);
  });
});

describe('waitingPeers()', () => {
  it('counts the peers with a get waiting now, each once, not local getters', async () => {
    const tasks = new Queue<number>();
    const [a, b] = [remoteCaller(), remoteCaller()];
    expect(tasks.waitingPeers()).toBe(0);
    const local = tasks.get();
    const waits = [getBatch(tasks, a, 4), getBatch(tasks, a, 4), getBatch(tasks, b, 4)];
    await tick();
    expect(tasks.waitingPeers()).toBe(2);
    for (let n = 0; n < 3; n++) tasks.putNowait(n);
    await local;
    await Promise.all(waits.slice(0, 2));
    expect(tasks.waitingPeers()).toBe(1);
    b.abort();
    await expect(waits[2]).rejects.toMatchObject({ name: 'Empty' });
    expect(tasks.waitingPeers()).toBe(0);
  });
});
