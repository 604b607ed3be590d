/** StallWatch: a master waits while progress is possible and says why it stopped otherwise. */
import { describe, expect, it } from 'vitest';
import { StallWatch, type WatchedMaster } from '../../shared/manager/stall-watch.js';
import { Queue } from '../../shared/queue/queue.js';

/** A master whose workers are fixed and which reports no events. */
function master(workers: { authenticated: boolean }[] = []): WatchedMaster {
  return { on: () => () => {}, workers: () => workers };
}

describe('StallWatch.next', () => {
  it('hands over the results as they come', async () => {
    const results = new Queue<string>();
    const watch = new StallWatch(master(), new Queue<number>(), 0.05);
    results.putNowait('a');
    const next = await watch.next(results);
    expect(typeof next === 'string' ? next : next.value).toBe('a');
    watch.close();
  });

  it('says why, dead letters included, once nothing happened for the timeout', async () => {
    const tasks = new Queue<number>({ maxDeliveries: 1 });
    tasks.deadLetters.putNowait({ value: 1, id: 1, deliveries: 1, reason: 'heartbeat lost' });
    tasks.putNowait(2);
    const watch = new StallWatch(master([{ authenticated: true }]), tasks, 0.05);
    expect(await watch.next(new Queue<string>())).toBe(
      'nothing happened for 0.05 s (no result, no worker joining or leaving): 1 task(s) queued, 0 in flight, ' +
        '1 worker(s) connected, 1 task(s) given up after 1 deliveries',
    );
    watch.close();
  });

  it('does not give up while a worker is still connecting', async () => {
    const connecting = [{ authenticated: false }];
    const results = new Queue<string>();
    const watch = new StallWatch(master(connecting), new Queue<number>(), 0.05);
    const next = watch.next(results);
    await new Promise((resolve) => setTimeout(resolve, 200));
    results.putNowait('late');
    const got = await next;
    expect(typeof got === 'string' ? got : got.value).toBe('late');
    watch.close();
  });
});
