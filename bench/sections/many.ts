/**
 * One master serving many concurrent workers: 100 and 500 worker connections
 * hosted in a few processes (100 managers each), set up about 20 at a time.
 * Measures the time until the master has them all authenticated, the seed
 * workload's tasks/s across all of them, and the master's memory per
 * connection (RSS after a GC, with all connected, minus RSS before).
 *
 * Each count runs `--repeat` times, every time with a fresh master and fresh
 * connections (a second run on the same ones would start with every worker's
 * prefetch window already open), and the rows show the median with its
 * spread: one run of 500 workers on two shared cores moves by 2× from one
 * minute to the next, so a single run's verdict follows the noise.
 */
import type { Child } from '../lib/children.js';
import { type Context, endScenario, startMaster, startWorker } from '../lib/context.js';
import { cellOf, type Row, row } from '../lib/report.js';
import { percentile, summarize } from '../lib/stats.js';
import type { LoopReport, ReadyReport } from '../node/children-config.js';

export const MANY_TARGET_CONNECTIONS = 500;
export const MB_PER_CONNECTION_TARGET = 0.5;
/** The issue's target: with MANY_TARGET_CONNECTIONS workers, at least this share of the seed's W = 4 rate. */
export const MANY_SHARE_OF_W4_TARGET = 0.5;

interface Memory {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

export interface ManyRun {
  connections: number;
  processes: number;
  /** Spawn of the first host process to the master counting every worker authenticated, ms. */
  connectAllMs: number;
  connected: number;
  failed: number;
  /** connect() plus two proxies, per worker connection, ms (p50, p90, max). */
  connectMs: { p50: number; p90: number; max: number };
  memoryBefore: Memory;
  memoryAfter: Memory;
  /** (RSS with all connected − RSS before) / connections. */
  mbPerConnection: number;
  tasks: number;
  tasksPerS: number;
  checked: number;
  bad: number;
  firstError?: string;
}

/** A run's figures, from what the master and the hosts reported. */
function manyResult(
  counts: Pick<ManyRun, 'connections' | 'processes' | 'connectAllMs' | 'connected' | 'failed'>,
  connectTimes: number[],
  memoryBefore: Memory,
  memoryAfter: Memory,
  run: { tasks: number; tasksPerS: number; checked: number; bad: number },
): ManyRun {
  return {
    ...counts,
    connectMs: {
      p50: percentile(connectTimes, 50),
      p90: percentile(connectTimes, 90),
      max: connectTimes.at(-1) ?? Number.NaN,
    },
    memoryBefore,
    memoryAfter,
    mbPerConnection: (memoryAfter.rssMb - memoryBefore.rssMb) / counts.connections,
    ...run,
  };
}

/** Every host's workers connected, or the first error of those that did not. */
function readiness(ready: ReadyReport[], connections: number): { connected: number; failed: number } {
  const connected = ready.reduce((sum, r) => sum + r.connected, 0);
  const failed = ready.reduce((sum, r) => sum + r.failed, 0);
  if (failed > 0) {
    const firstError = ready.find((r) => r.firstError)?.firstError;
    throw new Error(`${failed} of ${connections} workers could not connect (first error: ${firstError})`);
  }
  return { connected, failed };
}

export async function manyRun(ctx: Context, connections: number): Promise<ManyRun> {
  const binding = 'node-datachannel';
  const { managersPerProcess, stage, manyTasks } = ctx.options;
  const processes = Math.ceil(connections / managersPerProcess);
  const address = ctx.address(`many${connections}`);
  const master = startMaster(ctx, { address, binding });
  const hosts: Child[] = [];
  try {
    await master.request('start', null, 30_000);
    const memoryBefore = await master.request<Memory>('memory', null, 10_000);
    const connectBudgetMs = 60_000 + connections * 300;
    const allConnected = master.request<{ at: number }>(
      'waitWorkers',
      { count: connections, timeoutMs: connectBudgetMs },
      connectBudgetMs + 5_000,
    );
    allConnected.catch(() => {});
    const spawnedAt = performance.timeOrigin + performance.now();
    for (let i = 0; i < processes; i++) {
      const managers = Math.min(managersPerProcess, connections - i * managersPerProcess);
      const stagePerHost = Math.max(1, Math.round(stage / processes));
      const config = { mode: 'loop', address, binding, managers, stage: stagePerHost, idleSeconds: 1 } as const;
      hosts.push(startWorker(ctx, config, `host ${i + 1} (${managers} workers)`));
    }
    const ready = await Promise.all(hosts.map((h) => h.nextEvent<ReadyReport>('ready', connectBudgetMs)));
    const { connected, failed } = readiness(ready, connections);
    const { at } = await allConnected;
    const connectAllMs = at - spawnedAt;
    const connectTimes = ready.flatMap((r) => r.connectMs).sort((a, b) => a - b);
    ctx.progress(
      `  ${connections} workers connected in ${(connectAllMs / 1000).toFixed(1)} s ` +
        `(each: p50 ${percentile(connectTimes, 50).toFixed(0)} ms, p90 ${percentile(connectTimes, 90).toFixed(0)} ms)`,
    );
    const memoryAfter = await master.request<Memory>('memory', null, 10_000);
    const run = await master.request<{ tasks: number; tasksPerS: number; checked: number; bad: number }>(
      'throughput',
      { tasks: manyTasks, resultTimeoutS: 60 },
      120_000 + manyTasks,
    );
    await master.request('stop', null, 30_000);
    await Promise.all(hosts.map((h) => h.nextEvent<LoopReport>('done', 30_000).catch(() => undefined)));
    const result = manyResult(
      { connections, processes, connectAllMs, connected, failed },
      connectTimes,
      memoryBefore,
      memoryAfter,
      run,
    );
    ctx.progress(
      `  ${connections} workers: ${Math.round(run.tasksPerS)} tasks/s, master ` +
        `${result.mbPerConnection.toFixed(2)} MB per connection (RSS ${memoryBefore.rssMb.toFixed(0)} → ${memoryAfter.rssMb.toFixed(0)} MB)`,
    );
    if (run.bad) ctx.failures.push(`${connections} workers: ${run.bad} results did not check out`);
    return result;
  } finally {
    await endScenario(master, hosts);
  }
}

/** Every repeat's run of each connection count, in run order (a failed repeat is left out). */
export async function runMany(ctx: Context): Promise<Record<string, ManyRun[]>> {
  const result: Record<string, ManyRun[]> = {};
  for (const connections of ctx.options.many) {
    const runs: ManyRun[] = [];
    for (let i = 1; i <= ctx.options.repeat; i++) {
      const label = `${connections} workers${ctx.options.repeat > 1 ? ` #${i}` : ''}`;
      const run = await ctx.attempt(label, () => manyRun(ctx, connections));
      if (run) runs.push(run);
    }
    result[connections] = runs;
  }
  return result;
}

/**
 * `w4`: the seed workload's median tasks/s with four worker processes in the
 * same run (the throughput section), which the many-workers rate is held to.
 */
export function manyRows(ctx: Context, result: Record<string, ManyRun[]> | undefined, w4?: number): Row[] {
  const rows: Row[] = [];
  const share = MANY_SHARE_OF_W4_TARGET;
  const rateTarget = {
    text: `≥ ${share * 100} % of W = 4${w4 === undefined ? '' : ` (${Math.round(w4 * share).toLocaleString('en-US')} tasks/s)`}`,
    check: (rate: number) => (w4 === undefined ? null : rate >= w4 * share),
  };
  for (const connections of ctx.options.many) {
    const runs = result?.[connections] ?? [];
    const missing = result ? 'failed' : 'not run';
    const all = (value: (run: ManyRun) => number) => cellOf(summarize(runs.map(value)), missing);
    const processes = Math.ceil(connections / ctx.options.managersPerProcess);
    const label = `${connections} workers (${processes} process${processes > 1 ? 'es' : ''})`;
    const isTarget = connections >= MANY_TARGET_CONNECTIONS;
    rows.push(
      row({
        id: `many_${connections}_connect_all_s`,
        measure: `${label}: all connected`,
        unit: 's',
        peerproc: all((run) => run.connectAllMs / 1000),
      }),
      row({
        id: `many_${connections}_tasks_per_s`,
        measure: `${label}: tasks/s (N = ${ctx.options.manyTasks.toLocaleString('en-US')})`,
        unit: 'tasks/s',
        peerproc: all((run) => run.tasksPerS),
        target: isTarget ? rateTarget : undefined,
      }),
      row({
        id: `many_${connections}_mb_per_connection`,
        measure: `${label}: master RSS per connection`,
        unit: 'MB',
        peerproc: all((run) => run.mbPerConnection),
        target: isTarget
          ? {
              text: `all ${connections} held, ≤ ${MB_PER_CONNECTION_TARGET} MB`,
              check: (mb) =>
                runs.length > 0 && runs.every((run) => run.connected === connections) && mb <= MB_PER_CONNECTION_TARGET,
            }
          : undefined,
      }),
    );
  }
  return rows;
}
