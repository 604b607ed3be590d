/**
 * The journal's cost, measured as a user runs it: `peerproc master --tasks N`
 * with and without `--journal FILE`, W `peerproc worker` processes, the
 * transcript read completely through a pipe; the rate is N over the time from
 * "Try get results..." to the master's exit. The baseline column of these
 * rows is the same run without the journal (not CPython).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from '../lib/context.js';
import { CLI_JS as CLI } from '../lib/paths.js';
import { cellOf, type Row, row } from '../lib/report.js';
import { summarize } from '../lib/stats.js';

/** The target: the journal keeps at least half of the journal-less throughput. */
export const JOURNAL_RATIO_TARGET = 0.5;
const JOURNAL_WORKERS = [1, 2];

export interface JournalResult {
  tasks: number;
  byWorkers: Record<string, { plain: number[]; journaled: number[] }>;
}

function cli(args: string[]): { done: Promise<{ code: number | null; lines: string[]; resultsAt: number }> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines: string[] = [];
  let rest = '';
  let resultsAt = 0;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      if (resultsAt === 0 && line === 'Try get results...') resultsAt = performance.now();
      if (line.startsWith('Result: ')) lines.push(line);
    }
  });
  return { done: new Promise((ok) => child.on('close', (code) => ok({ code, lines, resultsAt }))) };
}

async function oneRun(ctx: Context, workers: number, tasks: number, journal: string | undefined): Promise<number> {
  const address = ctx.address(`journal-w${workers}`);
  const common = ['--address', address, '--authkey', ctx.authkey];
  const master = cli([
    'master',
    ...common,
    '--tasks',
    String(tasks),
    '--min-workers',
    String(workers),
    ...(journal ? ['--journal', journal, '--fresh'] : []),
  ]);
  const started = Array.from({ length: workers }, () => cli(['worker', ...common]));
  const run = await master.done;
  const ended = performance.now();
  await Promise.all(started.map((w) => w.done));
  if (run.code !== 0) throw new Error(`the master exited ${run.code}`);
  if (run.lines.length !== tasks) throw new Error(`${run.lines.length} of ${tasks} results`);
  const bad = run.lines.filter((l) => {
    const m = /^Result: (\d+) \* (\d+) = (\d+)$/.exec(l);
    return !m || m[1] !== m[2] || Number(m[3]) !== Number(m[1]) ** 2;
  });
  if (bad.length > 0) throw new Error(`${bad.length} results did not check out, e.g. ${bad[0]}`);
  return tasks / ((ended - run.resultsAt) / 1000);
}

export async function runJournal(ctx: Context): Promise<JournalResult> {
  const { tasks, repeat } = ctx.options;
  const dir = mkdtempSync(join(tmpdir(), 'peerproc-bench-journal-'));
  const result: JournalResult = { tasks, byWorkers: {} };
  try {
    for (const w of JOURNAL_WORKERS) {
      const entry = { plain: [] as number[], journaled: [] as number[] };
      result.byWorkers[w] = entry;
      for (let r = 1; r <= repeat; r++) {
        // Alternating, so both see the same machine noise.
        const plain = await ctx.attempt(`CLI W=${w} #${r}`, () => oneRun(ctx, w, tasks, undefined));
        if (plain !== undefined) entry.plain.push(plain);
        const journaled = await ctx.attempt(`CLI --journal W=${w} #${r}`, () =>
          oneRun(ctx, w, tasks, join(dir, `w${w}-${r}.journal`)),
        );
        if (journaled !== undefined) entry.journaled.push(journaled);
        ctx.progress(
          `  CLI W=${w} #${r}: ${Math.round(plain ?? 0)} tasks/s without, ${Math.round(journaled ?? 0)} with --journal`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

export function journalRows(ctx: Context, result: JournalResult | undefined): Row[] {
  return JOURNAL_WORKERS.map((w) => {
    const entry = result?.byWorkers[w];
    return row({
      id: `journal_tasks_per_s_w${w}`,
      measure: `CLI seed run with --journal, W = ${w} (N = ${ctx.options.tasks.toLocaleString('en-US')}; baseline: without)`,
      unit: 'tasks/s',
      peerproc: cellOf(summarize(entry?.journaled ?? []), result ? 'failed' : 'not run'),
      cpython: cellOf(summarize(entry?.plain ?? []), result ? 'failed' : 'not run'),
      target: {
        text: `≥ ${JOURNAL_RATIO_TARGET}× without`,
        check: (_: number, ratio: number | null) => (ratio === null ? null : ratio >= JOURNAL_RATIO_TARGET),
      },
    });
  });
}
