/**
 * The benchmark's master process: a peerproc master serving the seed
 * workload's queues, driven by the runner over IPC (lib/ipc.ts). It puts the
 * tasks, collects and checks every result, and reports its own memory.
 */
import { BaseManager, Empty, type Logger, loadPlatform, Queue } from 'peerproc';
import { epochMs, sleep } from '../lib/clock.js';
import { childConfig, serve } from '../lib/ipc.js';
import { AUTHKEY_ENV, type MasterConfig } from './children-config.js';
import { type Jobs, makePayload, payloadIntact, ResultChecker, randomTask, TYPEIDS } from './workload.js';

const logger: Logger = {
  info: () => {},
  warn: (m) => process.stderr.write(`${m}\n`),
  error: (m) => process.stderr.write(`${m}\n`),
};

const config = childConfig<MasterConfig>();
/**
 * The probe's queues are bounded, because a proxy `put` on an unbounded queue
 * may resolve before the item leaves (write-behind): on a bounded queue it
 * resolves once the master has the item, a full round trip as in CPython.
 */
const BOUNDED = 1_000_000;
const queues = {
  get_task_queue: new Queue<number>(),
  get_result_queue: new Queue<string>(),
  get_rpc_queue: new Queue<number>(BOUNDED),
  get_payload_up: new Queue<Uint8Array>(BOUNDED),
  get_payload_down: new Queue<Uint8Array>(BOUNDED),
} satisfies { [K in (typeof TYPEIDS)[number]]: unknown };

const manager = new BaseManager<Jobs>({
  address: config.address,
  authkey: process.env[AUTHKEY_ENV] ?? '',
  platform: await loadPlatform(config.binding),
  logger,
});
for (const typeid of TYPEIDS) manager.register(typeid, () => queues[typeid]);

/** The tasks put by `prime`, ticked off by `drainResults`. */
const primed = new ResultChecker();
let authenticated = 0;
let everAuthenticated = 0;
const countWaiters = new Set<() => void>();
manager.on((event) => {
  if (event.type === 'worker-authenticated') {
    authenticated++;
    everAuthenticated++;
  } else if (event.type === 'worker-left') authenticated = Math.max(0, authenticated - 1);
  else return;
  for (const wake of countWaiters) wake();
});

function memory() {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m = process.memoryUsage();
  return { rssMb: m.rss / 2 ** 20, heapUsedMb: m.heapUsed / 2 ** 20, externalMb: m.external / 2 ** 20 };
}

serve({
  async start() {
    await manager.start();
    return memory();
  },

  /** Resolves once `count` workers are authenticated (connected now), with the time it took. */
  async waitWorkers({ count, timeoutMs }: { count: number; timeoutMs: number }) {
    const started = performance.now();
    const deadline = started + timeoutMs;
    while (authenticated < count) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`only ${authenticated} of ${count} workers connected within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          countWaiters.delete(done);
          resolve();
        }
        countWaiters.add(done);
      });
    }
    return { count: authenticated, everAuthenticated, ms: performance.now() - started, at: epochMs() };
  },

  /** The seed workload: put `tasks` random integers, then take and check every result. */
  async throughput({ tasks, resultTimeoutS }: { tasks: number; resultTimeoutS: number }) {
    const task = await manager.get_task_queue();
    const result = await manager.get_result_queue();
    const checker = new ResultChecker();
    const numbers = Array.from({ length: tasks }, randomTask);
    for (const n of numbers) checker.expect(n);
    const results: unknown[] = new Array(tasks);
    // Timed as in baseline.py: first put to last result; the results are checked after the clock stops.
    const started = performance.now();
    for (const n of numbers) await task.put(n);
    let received = 0;
    try {
      for (; received < tasks; received++) results[received] = await result.get({ timeout: resultTimeoutS });
    } catch (err) {
      if (!(err instanceof Empty)) throw err;
      // What was left where: in the queue, out with workers (leased), and how many workers were still there.
      const q = queues.get_task_queue;
      throw new Error(
        `no result for ${resultTimeoutS} s after ${received} of ${tasks}: ${q.qsize()} task(s) queued, ` +
          `${q.inFlight()} in flight, ${q.waitingPeers()} worker(s) waiting, ${authenticated} connected`,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    for (const r of results) checker.check(r);
    return { tasks, seconds, tasksPerS: tasks / seconds, checked: checker.checked, bad: checker.bad };
  },

  /** Queues `tasks` tasks for workers that measure their start-up (their results are checked by drainResults). */
  async prime({ tasks }: { tasks: number }) {
    const task = await manager.get_task_queue();
    for (let i = 0; i < tasks; i++) {
      const n = randomTask();
      primed.expect(n);
      await task.put(n);
    }
    return { queued: queues.get_task_queue.qsize() };
  },

  /**
   * Watches the task queue (every millisecond) and resolves with the epoch time
   * its size first drops below `below`: when the master hands a task out.
   */
  async watchHandout({ below, timeoutMs }: { below: number; timeoutMs: number }) {
    const deadline = performance.now() + timeoutMs;
    while (queues.get_task_queue.qsize() >= below) {
      if (performance.now() > deadline) throw new Error(`no task taken within ${timeoutMs} ms`);
      await sleep(1);
    }
    return { at: epochMs() };
  },

  /** Waits for `count` results and checks them against the tasks `prime` put. */
  async drainResults({ count, timeoutS }: { count: number; timeoutS: number }) {
    const before = { checked: primed.checked, bad: primed.bad };
    for (let i = 0; i < count; i++) primed.check(await queues.get_result_queue.get({ timeout: timeoutS }));
    return { checked: primed.checked - before.checked, bad: primed.bad - before.bad, at: epochMs() };
  },

  async preparePayload({ bytes }: { bytes: number }) {
    await (await manager.get_payload_down()).put(makePayload(bytes));
    return null;
  },

  async takePayload({ bytes, timeoutS }: { bytes: number; timeoutS: number }) {
    const received = await (await manager.get_payload_up()).get({ timeout: timeoutS });
    return { intact: payloadIntact(received, bytes) };
  },

  /** Empties every queue (between scenarios sharing this master). */
  reset() {
    for (const queue of Object.values(queues) as Queue<unknown>[]) {
      while (queue.qsize() > 0) queue.getNowait();
    }
    return null;
  },

  memory,

  async stop() {
    await manager.shutdown();
    // Leave time for this reply to go out; native WebRTC threads would keep the process alive.
    setTimeout(() => process.exit(0), 50);
    return null;
  },
});
