/**
 * The share in a batch answer, on the serving side: what is left in the
 * queue divided among the peers getting from it, each counted once and only
 * until its connection closes. And `waitingPeers()`, the count of peers with
 * a get waiting now, which a master waits on before putting a short run.
 */
import { describe, expect, it } from 'vitest';
import { GET_BATCH, type GetBatchReply } from '../../shared/queue/batch.js';
import { Queue } from '../../shared/queue/queue.js';
import { type RemoteCallContext, remoteCall } from '../../shared/rpc/served.js';
import { remoteCaller } from '../support/remote-caller.js';

const getBatch = (q: Queue<number>, ctx: RemoteCallContext, max: number, options = {}) =>
  q[remoteCall](GET_BATCH, [max, options], ctx) as Promise<GetBatchReply<number>>;
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
