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

  it('counts the timeout from the end of a connection attempt that fails without an event', async () => {
    // A worker connecting for longer than the timeout, then dropped before authenticating (no event), as a
    // connection attempt that times out on a lossy network is; it retries, so the master must still wait.
    const workers = [{ authenticated: false }];
    const results = new Queue<string>();
    const watch = new StallWatch(master(workers), new Queue<number>(), 2);
    const next = watch.next(results);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    workers.length = 0;
    // 1.2 s after the drop: within the 2 s timeout counted from the last poll that saw it connecting (at most a
    // second before the drop), past the timeout counted from the start.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    results.putNowait('after the retry');
    const got = await next;
    expect(typeof got === 'string' ? got : got.value).toBe('after the retry');
    watch.close();
  }, 10_000);

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
