import { describe, expect, it } from 'vitest';
import { sleep } from '../../shared/backoff.js';
import { AuthenticationError, ConnectionClosedError, Empty, MethodNotExposedError } from '../../shared/errors.js';
import { queueProxies } from '../../shared/queue/proxy.js';
import { Queue } from '../../shared/queue/queue.js';
import { type ProxyInfo, type ProxyOf, proxyInfo, remoteProxy } from '../../shared/rpc/proxy.js';
import type { Registry } from '../../shared/rpc/registry.js';
import { connectionPair } from '../support/memory-link.js';

const proxyOptions = { prefetch: 64, batchResults: true };

async function pair(registry: Registry, workerKey = 'k', options = proxyOptions) {
  const { master, worker, links } = connectionPair(registry, workerKey);
  await worker.ready;
  const proxy = async <T>(typeid: string) =>
    remoteProxy<T>(worker.rpc, await worker.rpc.create(typeid, []), queueProxies(options)) as ProxyOf<T>;
  return { master, worker, proxy, links };
}

function jobs() {
  const tasks = new Queue<number>();
  const results = new Queue<string>();
  const registry: Registry = new Map([
    ['tasks', { callable: () => tasks }],
    ['results', { callable: () => results }],
  ]);
  return { tasks, results, registry };
}

const settle = () => sleep(20);

/** The seed's worker loop: get, (work,) put the answer; returns once a get raises Empty, throws anything else. */
async function seedLoop(task: ProxyOf<Queue<number>>, result: ProxyOf<Queue<string>>, timeout: number, workMs = 0) {
  for (;;) {
    let n: number;
    try {
      n = await task.get({ timeout });
    } catch (err) {
      if (err instanceof Empty) return;
      throw err;
    }
    if (workMs > 0) await sleep(workMs);
    await result.put(`${n}`);
  }
}

describe('manager and proxies over an in-memory link', () => {
  it('authenticates, then serves queue proxies with prefetch and batched results', async () => {
    const { tasks, results, registry } = jobs();
    for (let n = 0; n < 100; n++) tasks.putNowait(n);
    const { proxy, worker } = await pair(registry);
    const task = await proxy<Queue<number>>('tasks');
    const result = await proxy<Queue<string>>('results');
    await seedLoop(task, result, 0.05);
    await worker.bye('done');
    await settle();
    const entries = [];
    while (!results.empty()) entries.push(await results.getEntry());
    expect(entries.map((e) => e.value)).toEqual(Array.from({ length: 100 }, (_, n) => `${n}`));
    // Every result names the task it answers, and they are all different.
    expect(new Set(entries.map((e) => e.answers)).size).toBe(100);
  });

  it('refuses a wrong key', async () => {
    const { registry } = jobs();
    await expect(pair(registry, 'wrong')).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('redelivers leased and prefetched items when the worker vanishes', async () => {
    const { tasks, results, registry } = jobs();
    for (let n = 0; n < 10; n++) tasks.putNowait(n);
    const { proxy, links } = await pair(registry);
    const task = await proxy<Queue<number>>('tasks');
    const result = await proxy<Queue<string>>('results');
    const first = await task.get();
    await result.put(`${first}`); // acknowledges task 0
    await task.get(); // taken (leased), never answered
    await settle();
    links[1].hangUp();
    await settle();
    expect(results.qsize()).toBe(1);
    const back: number[] = [];
    while (!tasks.empty()) back.push(tasks.getNowait());
    expect(back.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('sends dead letters after maxDeliveries', async () => {
    const tasks = new Queue<string>({ maxDeliveries: 2 });
    const registry: Registry = new Map([['tasks', { callable: () => tasks }]]);
    tasks.putNowait('poison');
    for (let i = 0; i < 2; i++) {
      const { proxy, links } = await pair(registry);
      const task = await proxy<Queue<string>>('tasks');
      expect(await task.get()).toBe('poison');
      links[1].hangUp();
      await settle();
    }
    expect(tasks.qsize()).toBe(0);
    expect(tasks.deadLetters.getNowait()).toMatchObject({ value: 'poison', deliveries: 2 });
  });

  it('redelivers an item whose lease timed out; the late result answers that item, not the next', async () => {
    const tasks = new Queue<string>({ leaseTimeout: 0.1 });
    const results = new Queue<string>();
    const registry: Registry = new Map<string, { callable: () => object }>([
      ['tasks', { callable: () => tasks }],
      ['results', { callable: () => results }],
    ]);
    tasks.putNowait('slow');
    tasks.putNowait('next');
    const { proxy } = await pair(registry, 'k', { prefetch: 1, batchResults: false });
    const task = await proxy<Queue<string>>('tasks');
    const result = await proxy<Queue<string>>('results');
    expect(await task.get()).toBe('slow');
    await new Promise((r) => setTimeout(r, 400)); // the lease expires: 'slow' is back at the head
    expect(tasks.redeliveries).toBe(1);
    expect(await task.get()).toBe('slow'); // delivered again (to us, here)
    await result.put('slow done, late');
    const late = await results.getEntry();
    const first = await result.put('slow done again').then(() => results.getEntry());
    expect(late.answers).toBe(first.answers); // both answer 'slow': a duplicate the master can spot
    expect(tasks.qsize()).toBe(1); // 'next' untouched, not acknowledged
  });

  it('cancels a blocked get when the worker goes, so the next item is not lost', async () => {
    const { tasks, registry } = jobs();
    const { proxy, links } = await pair(registry);
    const task = await proxy<Queue<number>>('tasks');
    const blocked = task.get({ timeout: 5 });
    await settle();
    links[1].hangUp();
    await expect(blocked).rejects.toBeInstanceOf(ConnectionClosedError);
    await settle(); // the master's side notices the hang-up
    tasks.putNowait(42);
    expect(tasks.getNowait()).toBe(42);
  });

  it('keeps order: a call after written-behind puts sees them', async () => {
    const { results, registry } = jobs();
    const { proxy } = await pair(registry);
    const result = await proxy<Queue<string>>('results');
    for (let i = 0; i < 10; i++) await result.put(`r${i}`);
    expect(await result.qsize()).toBe(10);
    expect(results.getNowait()).toBe('r0');
  });

  it('limits calls to exposed methods and returns remote errors by name', async () => {
    class Box {
      secret = 1;
      open(): number {
        return this.secret;
      }
      smash(): void {
        throw new RangeError('boxes do not smash');
      }
      burn(): void {}
    }
    const registry: Registry = new Map([['box', { callable: () => new Box(), exposed: ['open', 'smash'] }]]);
    const { worker } = await pair(registry);
    const ref = await worker.rpc.create('box', []);
    expect(ref.exposed).toEqual(['open', 'smash']);
    expect(await worker.rpc.call(ref.objectId, 'open', [])).toBe(1);
    await expect(worker.rpc.call(ref.objectId, 'smash', [])).rejects.toMatchObject({
      name: 'RangeError',
      message: 'boxes do not smash',
    });
    await expect(worker.rpc.call(ref.objectId, 'burn', [])).rejects.toBeInstanceOf(MethodNotExposedError);
    await expect(worker.rpc.call(ref.objectId, 'constructor', [])).rejects.toBeInstanceOf(MethodNotExposedError);
  });

  it('releases a served object through proxyInfo; later calls fail by name', async () => {
    const { registry } = jobs();
    const { proxy } = await pair(registry);
    const task = await proxy<Queue<number>>('tasks');
    const info = (task as unknown as Record<symbol, ProxyInfo>)[proxyInfo];
    expect(info.exposed).toContain('put');
    await task.put(1);
    info.release();
    await expect(task.qsize()).rejects.toMatchObject({
      name: 'ProtocolError',
      message: expect.stringMatching(/no object with id/),
    });
  });

  it('fails pending calls when the connection ends, never hanging', async () => {
    const { registry } = jobs();
    const { proxy, master } = await pair(registry);
    const task = await proxy<Queue<number>>('tasks');
    const outcome = expect(task.get()).rejects.toThrow(/closed the connection: master shut down/);
    await settle();
    await master.bye('master shut down');
    await outcome;
  });

  it('ends a bursty run of many workers with short timeouts and read-aheads waiting: every task once, every loop exits', async () => {
    // Each task takes a millisecond and tasks come in bursts, so read-aheads wait at the queue between bursts
    // and past the 20 ms timeout of the get behind them, while the others' items are still in flight.
    const { tasks, results, registry } = jobs();
    const WORKERS = 8;
    const TASKS = 2_000;
    const loops = await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        const { proxy } = await pair(registry);
        const task = await proxy<Queue<number>>('tasks');
        const result = await proxy<Queue<string>>('results');
        return () => seedLoop(task, result, 0.02, 1);
      }),
    );
    const running = loops.map((loop) => loop());
    await sleep(10);
    // Tasks come in bursts with pauses longer than a get's timeout (a master producing them as it goes).
    for (let n = 0; n < TASKS; n++) {
      await tasks.put(n);
      if (n % 100 === 99) await sleep(40);
    }
    await Promise.all(running);
    await settle();
    const got: string[] = [];
    while (!results.empty()) got.push(results.getNowait());
    expect(got.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: TASKS }, (_, n) => n));
    expect(tasks.inFlight()).toBe(0);
  });
});
