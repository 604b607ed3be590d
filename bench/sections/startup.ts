/**
 * How fast a Node worker joins: from process spawn to its first task (the
 * master already has tasks queued), split into Node's own start-up (timed
 * as `node -e 0`), loading peerproc and the WebRTC add-on, connect() (signaling,
 * WebRTC, mutual authentication), the two proxies and the first get. CPython's
 * connect() plus its two proxies is measured beside it.
 */
import { runCommand } from '../lib/children.js';
import { type BindingName, type Context, endScenario, startMaster, startWorker } from '../lib/context.js';
import { pythonThroughput } from '../lib/python.js';
import { cellOf, type Row, row } from '../lib/report.js';
import { median, percentile, summarize } from '../lib/stats.js';
import type { StartTimings } from '../node/children-config.js';

export const WORKER_START_TARGET_MS = 100;
/** The target for a worker's connect(), p90 over many setups (the 1 s stall showed in 1 of 3-5). */
export const CONNECT_P90_TARGET_MS = 150;

export interface StartupSample extends StartTimings {
  spawnedAt: number;
  /** Spawn to first task, ms. */
  totalMs: number;
  /** Spawn to the worker's first line of code (Node start-up plus imports), ms. */
  loadMs: number;
  connectMs: number;
  proxiesMs: number;
  firstGetMs: number;
}

export interface StartupResult {
  /** `node -e 0`, spawn to exit, ms. */
  nodeStartupMs: number[];
  /** `python3 -c pass`, spawn to exit, ms. */
  pythonStartupMs: number[];
  peerproc: StartupSample[];
  /** CPython worker: connect() plus two proxies, ms. */
  cpythonConnectMs: number[];
  /** One worker process's sequential connect()s to one master, ms each. */
  connectSetupsMs: number[];
}

async function timeCommand(command: string, args: string[]): Promise<number> {
  const result = await runCommand(command, args, { timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.code})`);
  return result.ms;
}

export async function runStartup(ctx: Context): Promise<StartupResult> {
  const samples = ctx.options.startupSamples;
  const result: StartupResult = {
    nodeStartupMs: [],
    pythonStartupMs: [],
    peerproc: [],
    cpythonConnectMs: [],
    connectSetupsMs: [],
  };
  for (let i = 0; i < Math.max(samples, 3); i++) {
    result.nodeStartupMs.push(await timeCommand(process.execPath, ['-e', '0']));
    if (ctx.python) result.pythonStartupMs.push(await timeCommand(ctx.python.command, ['-c', 'pass']));
  }
  ctx.progress(`  node -e 0: ${median(result.nodeStartupMs).toFixed(1)} ms`);

  await ctx.attempt('peerproc worker start-up', async () => {
    const binding = 'node-datachannel';
    const address = ctx.address('startup');
    const master = startMaster(ctx, { address, binding });
    try {
      await master.request('start', null, 30_000);
      await master.request('prime', { tasks: samples }, 30_000);
      // One worker at a time, so each start-up has the machine to itself.
      for (let i = 1; i <= samples; i++) {
        const worker = startWorker(ctx, { mode: 'first-task', address, binding }, `start-up worker ${i}`);
        try {
          const t = await worker.nextEvent<StartTimings>('timing', 60_000);
          const sample: StartupSample = {
            ...t,
            spawnedAt: worker.spawnedAt,
            totalMs: t.firstTaskAt - worker.spawnedAt,
            loadMs: t.mainAt - worker.spawnedAt,
            connectMs: t.connectedAt - t.mainAt,
            proxiesMs: t.proxiesAt - t.connectedAt,
            firstGetMs: t.firstTaskAt - t.proxiesAt,
          };
          result.peerproc.push(sample);
          ctx.progress(
            `  peerproc worker #${i}: spawn → first task ${sample.totalMs.toFixed(0)} ms ` +
              `(load ${sample.loadMs.toFixed(0)}, connect ${sample.connectMs.toFixed(0)}, ` +
              `proxies ${sample.proxiesMs.toFixed(1)}, first get ${sample.firstGetMs.toFixed(1)})`,
          );
        } finally {
          await worker.waitExit(15_000);
        }
      }
      result.connectSetupsMs = await connectSetups(ctx, address, binding);
      await endScenario(master, []);
    } finally {
      master.kill();
    }
  });

  if (ctx.python) {
    const python = ctx.python.command;
    for (let i = 1; i <= samples; i++) {
      const run = await ctx.attempt(`CPython connect #${i}`, () => pythonThroughput(python, 1, 10));
      if (run) result.cpythonConnectMs.push(...run.connect_ms);
    }
    if (result.cpythonConnectMs.length) {
      ctx.progress(`  CPython connect() + 2 proxies: ${median(result.cpythonConnectMs).toFixed(1)} ms`);
    }
  }
  return result;
}

/** `connectSetups` fresh connect()s from one worker process, one after another; ms each. */
async function connectSetups(ctx: Context, address: string, binding: BindingName): Promise<number[]> {
  const setups = ctx.options.connectSetups;
  const worker = startWorker(ctx, { mode: 'connects', address, binding, setups }, 'connect() setups');
  try {
    const ms = await worker.nextEvent<number[]>('connects', 60_000 + setups * 5_000);
    const sorted = [...ms].sort((a, b) => a - b);
    ctx.progress(
      `  ${ms.length} connect()s: p50 ${percentile(sorted, 50).toFixed(0)} ms, p90 ${percentile(sorted, 90).toFixed(0)} ms, ` +
        `${ms.filter((x) => x > 500).length} over 500 ms`,
    );
    return ms;
  } finally {
    await worker.waitExit(15_000);
  }
}

export function cpythonConnectCell(ctx: Context, result: StartupResult | undefined) {
  if (!ctx.python) return { na: 'n/a (no python3)' };
  return cellOf(summarize(result?.cpythonConnectMs ?? []), result ? 'failed' : 'not run');
}

export function startupRows(ctx: Context, result: StartupResult | undefined): Row[] {
  const missing = result ? 'failed' : 'not run';
  const nodeStartup = result?.nodeStartupMs.length ? median(result.nodeStartupMs) : Number.NaN;
  const samples = result?.peerproc ?? [];
  return [
    row({
      id: 'runtime_startup_ms',
      measure: 'runtime start-up (node -e 0; python3 -c pass)',
      unit: 'ms',
      peerproc: cellOf(summarize(result?.nodeStartupMs ?? []), missing),
      cpython: ctx.python ? cellOf(summarize(result?.pythonStartupMs ?? []), missing) : { na: 'n/a (no python3)' },
      noRatio: true,
    }),
    row({
      id: 'worker_connect_ms',
      measure: 'worker connect() + 2 proxies',
      unit: 'ms',
      peerproc: cellOf(summarize(samples.map((s) => s.connectMs + s.proxiesMs)), missing),
      cpython: cpythonConnectCell(ctx, result),
    }),
    row({
      id: 'worker_start_to_first_task_ms',
      measure: 'Node worker: spawn → first task, minus Node start-up (CPython: connect)',
      unit: 'ms',
      peerproc: cellOf(summarize(samples.map((s) => s.totalMs - nodeStartup)), missing),
      cpython: cpythonConnectCell(ctx, result),
      noRatio: true,
      target: { text: `≤ ${WORKER_START_TARGET_MS} ms`, check: (ms) => ms <= WORKER_START_TARGET_MS },
    }),
    ...connectSetupRows(result),
    row({
      id: 'worker_load_ms',
      measure: '… of which loading peerproc + WebRTC add-on (beyond node -e 0)',
      unit: 'ms',
      peerproc: cellOf(summarize(samples.map((s) => s.loadMs - nodeStartup)), missing),
    }),
  ];
}

function connectSetupRows(result: StartupResult | undefined): Row[] {
  const missing = result ? 'failed' : 'not run';
  const sorted = [...(result?.connectSetupsMs ?? [])].sort((a, b) => a - b);
  const at = (p: number) => cellOf(summarize(sorted.length ? [percentile(sorted, p)] : []), missing);
  return [
    row({
      id: 'worker_connect_setups_p50_ms',
      measure: `worker connect(), p50 of ${sorted.length} setups one after another`,
      unit: 'ms',
      peerproc: at(50),
    }),
    row({
      id: 'worker_connect_setups_p90_ms',
      measure: `worker connect(), p90 of ${sorted.length} setups`,
      unit: 'ms',
      peerproc: at(90),
      target: { text: `≤ ${CONNECT_P90_TARGET_MS} ms`, check: (ms) => ms <= CONNECT_P90_TARGET_MS },
    }),
  ];
}
