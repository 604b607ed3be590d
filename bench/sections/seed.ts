/**
 * One peerproc run of the seed workload: a master process and W worker
 * processes over real WebRTC through the real signaling server; N random
 * integers, every result checked. Used by the throughput and bindings sections.
 */
import type { Child } from '../lib/children.js';
import { type BindingName, type Context, endScenario, startMaster, startWorker } from '../lib/context.js';
import type { LoopReport, ReadyReport } from '../node/children-config.js';

export interface SeedRun {
  workers: number;
  tasks: number;
  seconds: number;
  tasksPerS: number;
  checked: number;
  bad: number;
  /** connect() plus two proxies, per worker, ms. */
  connectMs: number[];
  /** Tasks each worker process did. */
  perWorker: number[];
}

/** Slowest rate we wait for before calling a run stuck (tasks/s); bounds a run of N tasks. */
const SLOWEST_RATE = 200;
/** A worker process must connect within this. */
const CONNECT_TIMEOUT_MS = 90_000;

export async function seedRun(ctx: Context, workers: number, tasks: number, binding: BindingName): Promise<SeedRun> {
  const address = ctx.address(`seed-${binding}-w${workers}`);
  const master = startMaster(ctx, { address, binding });
  const children: Child[] = [];
  try {
    await master.request('start', null, 30_000);
    for (let i = 0; i < workers; i++) {
      children.push(
        startWorker(
          ctx,
          { mode: 'loop', address, binding, managers: 1, stage: 1, idleSeconds: 1 },
          `worker ${i + 1} (${binding})`,
        ),
      );
    }
    const ready = await Promise.all(children.map((c) => c.nextEvent<ReadyReport>('ready', CONNECT_TIMEOUT_MS)));
    const failed = ready.find((r) => r.connected !== 1);
    if (failed) throw new Error(`a worker could not connect: ${failed.firstError ?? 'unknown error'}`);
    await master.request('waitWorkers', { count: workers, timeoutMs: 30_000 }, 35_000);
    const run = await master.request<Omit<SeedRun, 'connectMs' | 'perWorker' | 'workers'>>(
      'throughput',
      { tasks, resultTimeoutS: 30 },
      30_000 + (tasks / SLOWEST_RATE) * 1000,
    );
    await master.request('stop', null, 15_000);
    const done = await Promise.all(children.map((c) => c.nextEvent<LoopReport>('done', 20_000).catch(() => undefined)));
    return {
      ...run,
      workers,
      connectMs: ready.flatMap((r) => r.connectMs),
      perWorker: done.map((d) => d?.processed ?? Number.NaN),
    };
  } finally {
    await endScenario(master, children);
  }
}
