/**
 * The seed workload side by side: CPython's managers and peerproc, W worker
 * processes each, N tasks, every result checked; repeats alternate between the
 * two so both see the same machine noise.
 */
import type { Context } from '../lib/context.js';
import { type PythonThroughput, pythonThroughput } from '../lib/python.js';
import { cellOf, type Row, row } from '../lib/report.js';
import { summarize } from '../lib/stats.js';
import { type SeedRun, seedRun } from './seed.js';

export const TASKS_RATIO_TARGET = 100;

export interface ThroughputResult {
  tasks: number;
  byWorkers: Record<
    string,
    {
      peerproc: SeedRun[];
      cpython: PythonThroughput[];
      /** Other CPython versions (`--python`), by version. */
      cpythonExtra: Record<string, PythonThroughput[]>;
    }
  >;
}

export async function runThroughput(ctx: Context, extraPythons: { command: string; version: string }[]) {
  const { tasks, repeat, workers } = ctx.options;
  const result: ThroughputResult = { tasks, byWorkers: {} };
  for (const w of workers) {
    const entry: ThroughputResult['byWorkers'][string] = { peerproc: [], cpython: [], cpythonExtra: {} };
    result.byWorkers[w] = entry;
    for (let r = 1; r <= repeat; r++) {
      if (ctx.python) {
        const python = ctx.python.command;
        const run = await ctx.attempt(`CPython W=${w} #${r}`, () => pythonThroughput(python, w, tasks));
        if (run) {
          entry.cpython.push(run);
          ctx.progress(`  CPython ${run.python}  W=${w} #${r}: ${Math.round(run.tasks_per_s)} tasks/s`);
        }
      }
      // Other interpreters run once per W (they are context, and CPython runs dominate the run time).
      for (const extra of r === 1 ? extraPythons : []) {
        const run = await ctx.attempt(`CPython ${extra.version} W=${w} #${r}`, () =>
          pythonThroughput(extra.command, w, tasks),
        );
        if (run) {
          entry.cpythonExtra[extra.version] ??= [];
          entry.cpythonExtra[extra.version]?.push(run);
          ctx.progress(`  CPython ${run.python} W=${w} #${r}: ${Math.round(run.tasks_per_s)} tasks/s`);
        }
      }
      const run = await ctx.attempt(`peerproc W=${w} #${r}`, () => seedRun(ctx, w, tasks, 'node-datachannel'));
      if (run) {
        entry.peerproc.push(run);
        const bad = run.bad ? ` (${run.bad} BAD results)` : '';
        ctx.progress(`  peerproc        W=${w} #${r}: ${Math.round(run.tasksPerS)} tasks/s${bad}`);
        if (run.bad) ctx.failures.push(`peerproc W=${w} #${r}: ${run.bad} results did not check out`);
      }
    }
  }
  return result;
}

/** The median peerproc tasks/s with `w` worker processes, if that was measured. */
export function medianTasksPerS(result: ThroughputResult | undefined, w: number): number | undefined {
  return summarize(result?.byWorkers[w]?.peerproc.map((r) => r.tasksPerS) ?? [])?.median;
}

export function throughputRows(ctx: Context, result: ThroughputResult | undefined): Row[] {
  const rows: Row[] = [];
  for (const w of ctx.options.workers) {
    const entry = result?.byWorkers[w];
    const peerproc = summarize(entry?.peerproc.map((r) => r.tasksPerS) ?? []);
    const cpython = summarize(entry?.cpython.map((r) => r.tasks_per_s) ?? []);
    const target = {
      text: `≥ ${TASKS_RATIO_TARGET}× CPython`,
      check: (_: number, ratio: number | null) => (ratio === null ? null : ratio >= TASKS_RATIO_TARGET),
    };
    rows.push(
      row({
        id: `tasks_per_s_w${w}`,
        measure: `tasks/s, W = ${w} (N = ${ctx.options.tasks.toLocaleString('en-US')})`,
        unit: 'tasks/s',
        peerproc: cellOf(peerproc, result ? 'failed' : 'not run'),
        cpython: ctx.python ? cellOf(cpython, result ? 'failed' : 'not run') : { na: 'n/a (no python3)' },
        target,
      }),
    );
    for (const [version, runs] of Object.entries(entry?.cpythonExtra ?? {})) {
      rows.push(
        row({
          id: `tasks_per_s_w${w}_cpython_${version}`,
          measure: `tasks/s, W = ${w}, vs CPython ${version} (one run)`,
          unit: 'tasks/s',
          peerproc: cellOf(peerproc, 'failed'),
          // Context only: the target is against python3, the row above.
          cpython: cellOf(summarize(runs.map((r) => r.tasks_per_s)), 'failed'),
        }),
      );
    }
  }
  return rows;
}
