/**
 * One worker's proxy calls, side by side with CPython: the round trip of a
 * proxy `put` (p50/p99 over a few thousand sequential calls on a warm
 * connection), and one large payload through a queue in each direction.
 */
import type { Child } from '../lib/children.js';
import { type BindingName, type Context, endScenario, rawFloor, startMaster, startWorker } from '../lib/context.js';
import { type PythonProbe, pythonProbe } from '../lib/python.js';
import { cellOf, type Row, row } from '../lib/report.js';
import { summarize } from '../lib/stats.js';
import type { ProbeReport, RawReport } from '../node/children-config.js';

/** The issue's targets, against the bare data channel measured in the same run (node/raw-process.ts). */
export const RPC_P50_OVER_BARE_TARGET = 1.5;
export const RPC_P99_OVER_BARE_TARGET = 3;
/** Share of the bare channel's bulk rate (16 KiB messages, as peerproc frames) a 16 MiB payload reaches. */
export const PAYLOAD_SHARE_OF_BARE_TARGET = 0.9;

export interface ProbeRun extends ProbeReport {
  /** The master found the payload the worker put intact. */
  upIntact: boolean;
  putMBps: number;
  getMBps: number;
}

export interface ProbeResult {
  calls: number;
  payloadBytes: number;
  peerproc: ProbeRun[];
  cpython: PythonProbe[];
  /** The bare node-datachannel channel, no peerproc (node/raw-process.ts). */
  raw: RawReport[];
}

export async function probeRun(ctx: Context, binding: BindingName): Promise<ProbeRun> {
  const { rpcCalls: calls, payloadBytes } = ctx.options;
  const address = ctx.address(`probe-${binding}`);
  const master = startMaster(ctx, { address, binding });
  const workers: Child[] = [];
  try {
    await master.request('start', null, 30_000);
    await master.request('preparePayload', { bytes: payloadBytes }, 30_000);
    workers.push(
      startWorker(ctx, { mode: 'probe', address, binding, calls, payloadBytes }, `probe worker (${binding})`),
    );
    const report = await (workers[0] as Child).nextEvent<ProbeReport>('probe', 180_000);
    const { intact } = await master.request<{ intact: boolean }>(
      'takePayload',
      { bytes: payloadBytes, timeoutS: 30 },
      60_000,
    );
    if (!report.payload.intact || !intact) throw new Error('the payload arrived corrupted');
    const mb = payloadBytes / 1e6;
    return {
      ...report,
      upIntact: intact,
      putMBps: mb / (report.payload.putMs / 1000),
      getMBps: mb / (report.payload.getMs / 1000),
    };
  } finally {
    await endScenario(master, workers);
  }
}

export async function runProbe(ctx: Context): Promise<ProbeResult> {
  const { rpcCalls: calls, payloadBytes, repeat } = ctx.options;
  const result: ProbeResult = { calls, payloadBytes, peerproc: [], cpython: [], raw: [] };
  for (let r = 1; r <= repeat; r++) {
    if (ctx.python) {
      const python = ctx.python.command;
      const run = await ctx.attempt(`CPython probe #${r}`, () => pythonProbe(python, calls, payloadBytes));
      if (run) {
        result.cpython.push(run);
        ctx.progress(
          `  CPython  #${r}: put p50 ${run.rpc_put_us.p50.toFixed(0)} µs, payload put ${run.payload.put_MBps.toFixed(0)} MB/s`,
        );
      }
    }
    const run = await ctx.attempt(`peerproc probe #${r}`, () => probeRun(ctx, 'node-datachannel'));
    if (run) {
      result.peerproc.push(run);
      ctx.progress(
        `  peerproc #${r}: put p50 ${run.rpcPutUs.p50.toFixed(0)} µs, payload put ${run.putMBps.toFixed(0)} MB/s`,
      );
    }
    const raw = await ctx.attempt(`bare channel #${r}`, () =>
      rawFloor(ctx, { binding: 'node-datachannel', calls, bytes: payloadBytes }),
    );
    if (raw) {
      result.raw.push(raw);
      ctx.progress(
        `  bare channel #${r}: round trip p50 ${raw.rttUs.p50.toFixed(0)} µs, ` +
          `bulk ${raw.bulk.MBps.toFixed(0)} MB/s (64 KiB messages: ${raw.bulkLarge.MBps.toFixed(0)} MB/s)`,
      );
    }
  }
  return result;
}

function mib(bytes: number): string {
  return bytes >= 2 ** 20 ? `${bytes / 2 ** 20} MiB` : `${bytes / 1024} KiB`;
}

export function rpcRows(ctx: Context, result: ProbeResult | undefined): Row[] {
  const missing = result ? 'failed' : 'not run';
  const py = (pick: (p: PythonProbe) => number) =>
    ctx.python ? cellOf(summarize(result?.cpython.map(pick) ?? []), missing) : { na: 'n/a (no python3)' };
  const bare50 = summarize(result?.raw.map((r) => r.rttUs.p50) ?? []);
  const bare99 = summarize(result?.raw.map((r) => r.rttUs.p99) ?? []);
  return [
    row({
      id: 'rpc_put_p50_us',
      measure: 'RPC round trip of one proxy put, p50 (warm process)',
      unit: 'µs',
      peerproc: cellOf(summarize(result?.peerproc.map((r) => r.rpcPutUs.p50) ?? []), missing),
      cpython: py((p) => p.rpc_put_us.p50),
      target: timesBare(RPC_P50_OVER_BARE_TARGET, bare50?.median, 'p50'),
    }),
    row({
      id: 'rpc_put_p99_us',
      measure: 'RPC round trip of one proxy put, p99 (warm process)',
      unit: 'µs',
      peerproc: cellOf(summarize(result?.peerproc.map((r) => r.rpcPutUs.p99) ?? []), missing),
      cpython: py((p) => p.rpc_put_us.p99),
      target: timesBare(RPC_P99_OVER_BARE_TARGET, bare99?.median, 'p99'),
    }),
    row({
      id: 'rpc_put_cold_p99_us',
      measure: `… p99 over a fresh process's first ${ctx.options.rpcCalls.toLocaleString('en-US')} calls (V8 still compiling)`,
      unit: 'µs',
      peerproc: cellOf(summarize(result?.peerproc.map((r) => r.rpcPutColdUs.p99) ?? []), missing),
    }),
    row({
      id: 'bare_channel_rtt_p50_us',
      measure: '… floor: bare data channel round trip p50 (no peerproc)',
      unit: 'µs',
      peerproc: cellOf(bare50, missing),
    }),
    row({
      id: 'bare_channel_rtt_p99_us',
      measure: '… floor: bare data channel round trip p99',
      unit: 'µs',
      peerproc: cellOf(bare99, missing),
    }),
  ];
}

/** A round-trip target as a multiple of the bare channel's figure in this run (unmet when that is missing). */
function timesBare(times: number, bare: number | undefined, label: string) {
  return {
    text: `≤ ${times}× bare ${label}${bare === undefined ? '' : ` (${Math.round(bare * times)} µs)`}`,
    check: (us: number) => (bare === undefined ? null : us <= bare * times),
  };
}

export function payloadRows(ctx: Context, result: ProbeResult | undefined): Row[] {
  const missing = result ? 'failed' : 'not run';
  const size = mib(ctx.options.payloadBytes);
  const py = (pick: (p: PythonProbe) => number) =>
    ctx.python ? cellOf(summarize(result?.cpython.map(pick) ?? []), missing) : { na: 'n/a (no python3)' };
  const bare = summarize(result?.raw.map((r) => r.bulk.MBps) ?? [])?.median;
  const floor = bare === undefined ? undefined : bare * PAYLOAD_SHARE_OF_BARE_TARGET;
  const target = {
    text: `≥ ${PAYLOAD_SHARE_OF_BARE_TARGET * 100} % of bare${floor === undefined ? '' : ` (${floor.toFixed(0)} MB/s)`}`,
    check: (mbps: number) => (floor === undefined ? null : mbps >= floor),
  };
  return [
    row({
      id: 'payload_put_mbps',
      measure: `one ${size} payload, worker put → master queue`,
      unit: 'MB/s',
      peerproc: cellOf(summarize(result?.peerproc.map((r) => r.putMBps) ?? []), missing),
      cpython: py((p) => p.payload.put_MBps),
      target,
    }),
    row({
      id: 'payload_get_mbps',
      measure: `one ${size} payload, master queue → worker get`,
      unit: 'MB/s',
      peerproc: cellOf(summarize(result?.peerproc.map((r) => r.getMBps) ?? []), missing),
      cpython: py((p) => p.payload.get_MBps),
      target,
    }),
    row({
      id: 'bare_channel_bulk_mbps',
      measure: `… floor: ${size} over a bare data channel, 16 KiB messages`,
      unit: 'MB/s',
      peerproc: cellOf(summarize(result?.raw.map((r) => r.bulk.MBps) ?? []), missing),
    }),
    row({
      id: 'bare_channel_bulk_64k_mbps',
      measure: `… same in 64 KiB messages`,
      unit: 'MB/s',
      peerproc: cellOf(summarize(result?.raw.map((r) => r.bulkLarge.MBps) ?? []), missing),
    }),
  ];
}
