/**
 * Peers with an address listing several signaling servers, over real WebRTC
 * and real (single-process) signaling servers: they use the first server that
 * answers and move to the next when theirs goes away; established peer links
 * never notice. The same with a Redis cluster behind the servers is in
 * test/cluster/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BaseManager, type ManagerEvent, Queue, silentLogger } from '../../node/index.js';
import type { SignalingServer } from '../../signaling/index.js';
import { freePort } from '../support/redis.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';

interface Jobs {
  get_task_queue: Queue<number>;
  get_result_queue: Queue<string>;
}

const servers: SignalingServer[] = [];
const managers: BaseManager<Jobs>[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.shutdown().catch(() => {})));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(): Promise<SignalingServer> {
  const started = await startTestSignaling();
  servers.push(started);
  return started;
}

function master(address: string) {
  const tasks = new Queue<number>();
  const results = new Queue<string>();
  const manager = new BaseManager<Jobs>({ address, authkey: 'abc', logger: silentLogger });
  manager.register('get_task_queue', () => tasks);
  manager.register('get_result_queue', () => results);
  managers.push(manager);
  const events: ManagerEvent[] = [];
  manager.on((event) => events.push(event));
  return { manager, tasks, results, events };
}

function worker(address: string, wait = 20) {
  const manager = new BaseManager<Jobs>({ address, authkey: 'abc', logger: silentLogger, wait });
  manager.register('get_task_queue');
  manager.register('get_result_queue');
  managers.push(manager);
  return manager;
}

/** One task through `peer`: the master puts n, the worker returns n². */
async function roundTrip(m: ReturnType<typeof master>, peer: BaseManager<Jobs>, n: number): Promise<void> {
  await m.tasks.put(n);
  const task = await peer.get_task_queue();
  const result = await peer.get_result_queue();
  const got = await task.get({ timeout: 10 });
  await result.put(`${got} * ${got} = ${got * got}`);
  expect(await m.results.get({ timeout: 10 })).toBe(`${n} * ${n} = ${n * n}`);
}

async function until(predicate: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('signaling fail-over', () => {
  it('uses the first server of the list that answers', async () => {
    const nobody = await freePort();
    const b = await server();
    const room = freshRoom('first');
    const m = master(b.wsUrl(room));
    await m.manager.start();
    const w = worker(`ws://127.0.0.1:${nobody}/${room},${b.wsUrl(room)}`);
    await w.connect();
    await roundTrip(m, w, 7);
  });

  it('a master whose server goes away registers on the next; established workers carry on', async () => {
    const [a, b] = [await server(), await server()];
    const room = freshRoom('master');
    const m = master(`${a.wsUrl(room)},${b.wsUrl(room)}`);
    await m.manager.start();
    expect(a.stats().masters).toBe(1);
    const early = worker(a.wsUrl(room));
    await early.connect();
    await roundTrip(m, early, 3);

    await a.close();
    await until(() => b.stats().masters === 1, 'the master to register on B');
    // B counts the master as soon as it registers; the master hears B's answer a moment later.
    await until(() => m.events.some((e) => e.type === 'signaling-restored'), 'the master to hear it is registered');
    expect(m.events.map((e) => e.type)).toEqual(expect.arrayContaining(['signaling-lost', 'signaling-restored']));
    await roundTrip(m, early, 4); // the peer link did not depend on A

    const late = worker(b.wsUrl(room));
    await late.connect();
    await roundTrip(m, late, 5);
  });

  it('a worker waiting for its master moves on when its server goes away, and finds the master on the next', async () => {
    const [a, b] = [await server(), await server()];
    const room = freshRoom('worker');
    const w = worker(`${a.wsUrl(room)},${b.wsUrl(room)}`);
    const connected = w.connect();
    await until(() => a.stats().workers === 1, 'the worker to wait on A');
    await a.close();
    await until(() => b.stats().workers === 1, 'the worker to wait on B');
    const m = master(b.wsUrl(room));
    await m.manager.start();
    await connected;
    await roundTrip(m, w, 9);
  });
});
