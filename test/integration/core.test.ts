import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddressInUseError,
  AuthenticationError,
  BaseManager,
  Empty,
  MethodNotExposedError,
  Queue,
  silentLogger,
} from '../../node/index.js';
import { type Jobs, squareText } from '../../shared/example.js';
import type { SignalingServer } from '../../signaling/index.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';
import { until } from '../support/until.js';

let signaling: SignalingServer;
beforeAll(async () => {
  signaling = await startTestSignaling();
});
afterAll(async () => {
  await signaling.close();
});

function masterFor(address: string, authkey = 'abc') {
  const taskQueue = new Queue<number>();
  const resultQueue = new Queue<string>();
  const manager = new BaseManager<Jobs>({ address, authkey, logger: silentLogger });
  manager.register('get_task_queue', () => taskQueue);
  manager.register('get_result_queue', () => resultQueue);
  return manager;
}

function workerFor(address: string, authkey = 'abc', wait = 10) {
  const manager = new BaseManager<Jobs>({ address, authkey, logger: silentLogger, wait });
  manager.register('get_task_queue');
  manager.register('get_result_queue');
  return manager;
}

async function workerLoop(manager: BaseManager<Jobs>): Promise<number> {
  const task = await manager.get_task_queue();
  const result = await manager.get_result_queue();
  let done = 0;
  for (;;) {
    let n: number;
    try {
      n = await task.get({ timeout: 1 });
    } catch (err) {
      if (err instanceof Empty) return done;
      throw err;
    }
    await result.put(squareText(n));
    done++;
  }
}

describe('the distributed-process example over real WebRTC', () => {
  it('runs 10 tasks through two workers', async () => {
    const address = signaling.wsUrl(freshRoom());
    const master = masterFor(address);
    await master.start();
    const task = await master.get_task_queue();
    const result = await master.get_result_queue();
    const numbers = Array.from({ length: 10 }, () => Math.floor(Math.random() * 10_000));
    for (const n of numbers) await task.put(n);

    const workers = [workerFor(address), workerFor(address)];
    await Promise.all(workers.map((w) => w.connect()));
    const counts = Promise.all(workers.map(workerLoop));

    const results: string[] = [];
    for (let i = 0; i < numbers.length; i++) results.push(await result.get({ timeout: 10 }));
    expect((await counts).reduce((a, b) => a + b, 0)).toBe(10);
    expect(results.sort()).toEqual(numbers.map(squareText).sort());
    for (const w of workers) await w.shutdown();
    await master.shutdown();
  });

  it('rejects a wrong key while a right-key worker finishes', async () => {
    const address = signaling.wsUrl(freshRoom());
    const master = masterFor(address);
    const failures: string[] = [];
    master.on((e) => {
      if (e.type === 'auth-failed') failures.push(e.reason);
    });
    await master.start();
    const task = await master.get_task_queue();
    const result = await master.get_result_queue();
    for (const n of [3, 4, 5]) await task.put(n);

    const wrong = workerFor(address, 'wrong-key');
    await expect(wrong.connect()).rejects.toThrow(AuthenticationError);
    await expect(workerFor(address, 'wrong-key').connect()).rejects.toThrow(/rejected/);

    const right = workerFor(address);
    await right.connect();
    expect(await workerLoop(right)).toBe(3);
    const results = [await result.get(), await result.get(), await result.get()];
    expect(results.sort()).toEqual(['3 * 3 = 9', '4 * 4 = 16', '5 * 5 = 25']);
    // The master records a refusal once the refused worker has hung up.
    for (let i = 0; i < 100 && failures.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(failures).toHaveLength(2);
    await right.shutdown();
    await master.shutdown();
  });

  it('refuses a second master on the same room (address in use)', async () => {
    const address = signaling.wsUrl(freshRoom());
    const first = masterFor(address);
    await first.start();
    await expect(masterFor(address).start()).rejects.toThrow(AddressInUseError);
    await first.shutdown();
  });

  it('connects a worker started before its master', async () => {
    const address = signaling.wsUrl(freshRoom());
    const worker = workerFor(address);
    const connecting = worker.connect();
    await new Promise((r) => setTimeout(r, 500));
    const master = masterFor(address);
    await master.start();
    await connecting;
    const task = await worker.get_task_queue();
    await task.put(7);
    expect(await (await master.get_task_queue()).get()).toBe(7);
    await worker.shutdown();
    await master.shutdown();
  });

  it("gives a worker's second batch its share of the queue as it is now, with the default prefetch", async () => {
    const address = signaling.wsUrl(freshRoom());
    const task = new Queue<number>();
    const master = new BaseManager<Jobs>({ address, authkey: 'abc', logger: silentLogger });
    master.register('get_task_queue', () => task);
    master.register('get_result_queue', () => new Queue<string>());
    await master.start();
    await task.put(0);
    const worker = workerFor(address);
    await worker.connect();
    const tasks = await worker.get_task_queue();
    expect(await tasks.get({ timeout: 10 })).toBe(0);
    // That answer left the queue empty (share 0), so the next get asks for two items. It waits at the master
    // while the master puts 50, and takes all 50: a consumer this fast may hold far more by its pace.
    const next = tasks.get({ timeout: 10 });
    await until('the worker waits at the queue', () => task.waitingPeers() === 1);
    for (let n = 1; n <= 50; n++) await task.put(n);
    expect(await next).toBe(1);
    expect(task.qsize()).toBe(0);
    // Leased to the worker: these 50 and the first (no result acknowledged it yet).
    expect(task.inFlight()).toBe(51);
    for (let n = 2; n <= 50; n++) expect(await tasks.get({ timeout: 10 })).toBe(n);
    await worker.shutdown();
    await master.shutdown();
  });

  it('serves any object, limits calls to exposed methods, and returns remote errors by name', async () => {
    class Counter {
      value = 0;
      add(n: number): number {
        if (typeof n !== 'number') throw new TypeError(`add() needs a number, got ${typeof n}`);
        this.value += n;
        return this.value;
      }
      reset(): void {
        this.value = 0;
      }
    }
    const counter = new Counter();
    const address = signaling.wsUrl(freshRoom());
    const master = new BaseManager<{ counter: Counter }>({ address, authkey: 'k', logger: silentLogger });
    master.register('counter', () => counter, { exposed: ['add'] });
    await master.start();
    const worker = new BaseManager<{ counter: Counter }>({ address, authkey: 'k', logger: silentLogger });
    worker.register('counter');
    await worker.connect();
    const proxy = await worker.counter();
    expect(await proxy.add(2)).toBe(2);
    expect(await proxy.add(3)).toBe(5);
    expect('reset' in proxy).toBe(false);
    const raw = proxy as unknown as { add(x: unknown): Promise<number> };
    await expect(raw.add('x')).rejects.toMatchObject({
      name: 'TypeError',
      message: 'add() needs a number, got string',
    });
    await expect(worker.proxy('nothing_here')).rejects.toMatchObject({ name: 'UnknownTypeidError' });
    expect(counter.value).toBe(5);
    await worker.shutdown();
    await master.shutdown();
    expect(MethodNotExposedError.name).toBe('MethodNotExposedError');
  });
});
