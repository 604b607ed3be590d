/**
 * A batch get that had to wait, on the serving side: woken by the first item
 * of a put loop, it gathers the rest of its batch once that loop has yielded
 * instead of leaving with one item (with 500 workers every worker's window
 * otherwise fell back to one item each time the master's put loop ran ahead
 * of them), and it still hands everything back if its caller left meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { GET_BATCH, type GetBatchReply } from '../../shared/queue/batch.js';
import { Queue } from '../../shared/queue/queue.js';
import { type RemoteCallContext, remoteCall } from '../../shared/rpc/served.js';
import { remoteCaller } from '../support/remote-caller.js';

const reply = (q: Queue<number>, ctx: RemoteCallContext, max: number) =>
  q[remoteCall](GET_BATCH, [max, {}], ctx) as Promise<GetBatchReply<number>>;
const getBatch = async (q: Queue<number>, ctx: RemoteCallContext, max: number) => (await reply(q, ctx, max)).items;

describe('a waiting batch get woken by a put loop', () => {
  it('leaves with what the loop put before it yielded, up to its size', async () => {
    const tasks = new Queue<number>();
    const waiting = getBatch(tasks, remoteCaller(), 64);
    await new Promise((r) => setTimeout(r, 5));
    for (let n = 0; n < 100; n++) await tasks.put(n);
    expect(await waiting).toEqual(Array.from({ length: 64 }, (_, n) => n));
    expect(tasks.qsize()).toBe(36);
  });

  it('asking for one item, leaves with the first put and its share of the rest of the loop', async () => {
    const tasks = new Queue<number>();
    const waiting = reply(tasks, remoteCaller(), 1);
    await new Promise((r) => setTimeout(r, 5));
    for (let n = 0; n < 10; n++) await tasks.put(n);
    expect(await waiting).toEqual({ items: [0], share: 9 });
    expect(tasks.qsize()).toBe(9);
  });

  it('hands every item back, in order, when its caller leaves while it gathers', async () => {
    const tasks = new Queue<number>();
    const caller = remoteCaller();
    const waiting = getBatch(tasks, caller, 8);
    waiting.catch(() => {});
    await new Promise((r) => setTimeout(r, 5));
    tasks.putNowait(1);
    tasks.putNowait(2);
    caller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'ConnectionClosedError', code: 'CALLER_GONE' });
    expect([await tasks.get(), await tasks.get()]).toEqual([1, 2]);
    expect(tasks.inFlight()).toBe(0);
  });
});
