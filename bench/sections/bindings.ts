/**
 * Each Node WebRTC binding on the same workload (master and worker both on
 * it): the seed workload at W = 1, a worker's connect time, the RPC round
 * trip and the large payload; so the default binding is chosen by numbers.
 */
import { type BindingName, loadPlatform } from '../../node/platform.js';
import { type Context, rawFloor } from '../lib/context.js';
import { cellOf, type Row, row } from '../lib/report.js';
import { summarize } from '../lib/stats.js';
import type { RawReport } from '../node/children-config.js';
import { type ProbeRun, probeRun } from './probe.js';
import { type SeedRun, seedRun } from './seed.js';

export type BindingsResult = Record<
  string,
  { unavailable: string } | { seed: SeedRun[]; probe: ProbeRun[]; raw: RawReport[] }
>;

export async function runBindings(ctx: Context): Promise<BindingsResult> {
  const result: BindingsResult = {};
  for (const binding of ctx.options.bindings) {
    try {
      await loadPlatform(binding);
    } catch (err) {
      result[binding] = { unavailable: `n/a (${(err as Error).message})` };
      continue;
    }
    const entry = { seed: [] as SeedRun[], probe: [] as ProbeRun[], raw: [] as RawReport[] };
    result[binding] = entry;
    for (let r = 1; r <= ctx.options.repeat; r++) {
      const seed = await ctx.attempt(`${binding} W=1 #${r}`, () => seedRun(ctx, 1, ctx.options.bindingTasks, binding));
      if (seed) entry.seed.push(seed);
      const probe = await ctx.attempt(`${binding} probe #${r}`, () => probeRun(ctx, binding));
      if (probe) entry.probe.push(probe);
      const raw = await ctx.attempt(`${binding} bare channel #${r}`, () =>
        rawFloor(ctx, { binding, calls: ctx.options.rpcCalls, bytes: ctx.options.payloadBytes }),
      );
      if (raw) entry.raw.push(raw);
      if (seed && probe) {
        ctx.progress(
          `  ${binding.padEnd(16)} #${r}: ${Math.round(seed.tasksPerS)} tasks/s, connect ${probe.connectMs.toFixed(0)} ms, ` +
            `put p50 ${probe.rpcPutUs.p50.toFixed(0)} µs, payload ${probe.putMBps.toFixed(0)} MB/s` +
            (raw ? `; bare channel: ${raw.rttUs.p50.toFixed(0)} µs, ${raw.bulk.MBps.toFixed(0)} MB/s` : ''),
        );
      }
    }
  }
  return result;
}

export function bindingRows(ctx: Context, result: BindingsResult | undefined): Row[] {
  const rows: Row[] = [];
  for (const binding of ctx.options.bindings as BindingName[]) {
    const entry = result?.[binding];
    const missing = !entry ? 'not run' : 'unavailable' in entry ? entry.unavailable : 'failed';
    const seed = entry && 'seed' in entry ? entry.seed : [];
    const probe = entry && 'probe' in entry ? entry.probe : [];
    const raw = entry && 'raw' in entry ? entry.raw : [];
    const label = `${binding}${binding === 'node-datachannel' ? ' (default)' : ''}`;
    rows.push(
      row({
        id: `binding_${binding}_tasks_per_s`,
        measure: `${label}: tasks/s, W = 1 (N = ${ctx.options.bindingTasks.toLocaleString('en-US')})`,
        unit: 'tasks/s',
        peerproc: cellOf(summarize(seed.map((s) => s.tasksPerS)), missing),
      }),
      row({
        id: `binding_${binding}_connect_ms`,
        measure: `${label}: worker connect() + 2 proxies`,
        unit: 'ms',
        peerproc: cellOf(summarize(probe.map((p) => p.connectMs)), missing),
      }),
      row({
        id: `binding_${binding}_rpc_p50_us`,
        measure: `${label}: RPC round trip p50`,
        unit: 'µs',
        peerproc: cellOf(summarize(probe.map((p) => p.rpcPutUs.p50)), missing),
      }),
      row({
        id: `binding_${binding}_payload_put_mbps`,
        measure: `${label}: payload put`,
        unit: 'MB/s',
        peerproc: cellOf(summarize(probe.map((p) => p.putMBps)), missing),
      }),
      row({
        id: `binding_${binding}_bare_rtt_p50_us`,
        measure: `${label}: bare channel round trip p50`,
        unit: 'µs',
        peerproc: cellOf(summarize(raw.map((r) => r.rttUs.p50)), missing),
      }),
      row({
        id: `binding_${binding}_bare_bulk_mbps`,
        measure: `${label}: bare channel bulk, 16 KiB messages`,
        unit: 'MB/s',
        peerproc: cellOf(summarize(raw.map((r) => r.bulk.MBps)), missing),
      }),
    );
  }
  return rows;
}
