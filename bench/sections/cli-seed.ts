/**
 * The seed example end to end, as users run it: `peerproc master --tasks N`
 * and W `peerproc worker` processes, beside CPython's own task_master.py and
 * task_worker.py (the classic scripts, only reading address, key and N from
 * the command line). Each transcript is read completely through a pipe; the
 * time runs from the master's spawn to its exit, start-up included; workers
 * start as soon as the master can be reached. Every result line is checked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Context } from '../lib/context.js';
import { CLI_JS as CLI, ROOT } from '../lib/paths.js';
import { cellOf, type Row, row } from '../lib/report.js';
import { summarize } from '../lib/stats.js';

const FIXTURES = resolve(ROOT, 'test/python/fixtures');
/** The target for the whole CLI run. */
export const CLI_RATIO_TARGET = 50;
const CLI_WORKERS = [1, 2];

export interface CliSeedResult {
  tasks: number;
  byWorkers: Record<string, { peerproc: number[]; cpython: number[] }>;
}

interface Transcript {
  child: ChildProcess;
  results: number;
  bad: number;
  /** performance.now() at the spawn and at the first result line. */
  spawnedAt: number;
  firstResultAt?: number;
  firstLine: Promise<string>;
  done: Promise<number | null>;
}

/** Three moments of one run, in ms after the master's spawn (bench/experiments/cli-timeline.ts prints them). */
export interface CliTimes {
  firstLineMs: number;
  firstResultMs: number;
  exitMs: number;
}

function run(command: string, args: string[]): Transcript {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const t = { child, results: 0, bad: 0, spawnedAt: performance.now() } as Transcript;
  let rest = '';
  let first: (line: string) => void = () => {};
  t.firstLine = new Promise((ok) => {
    first = ok;
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      first(line);
      if (!line.startsWith('Result: ')) continue;
      if (t.results++ === 0) t.firstResultAt = performance.now();
      const m = /^Result: (\d+) \* (\d+) = (\d+)$/.exec(line);
      if (!m || m[1] !== m[2] || Number(m[3]) !== Number(m[1]) ** 2) t.bad++;
    }
  });
  t.done = new Promise((ok) => child.on('close', ok));
  return t;
}

/** Workers start at the master's first line; every result is checked; the clock stops at the master's exit. */
async function timed(
  master: Transcript,
  startWorkers: (first: string) => Transcript[],
  tasks: number,
): Promise<CliTimes & { workerCodes: Array<number | null> }> {
  const first = await master.firstLine;
  const firstLineMs = performance.now() - master.spawnedAt;
  const workers = startWorkers(first);
  const code = await master.done;
  const exitMs = performance.now() - master.spawnedAt;
  const workerCodes = await Promise.all(workers.map((w) => w.done));
  if (code !== 0) throw new Error(`the master exited ${code}`);
  if (master.results !== tasks || master.bad > 0) throw new Error(`${master.results} results, ${master.bad} wrong`);
  const firstResultMs = (master.firstResultAt ?? Number.NaN) - master.spawnedAt;
  return { firstLineMs, firstResultMs, exitMs, workerCodes };
}

const tasksPerS = (tasks: number, times: CliTimes) => tasks / (times.exitMs / 1000);

/** `peerproc master --tasks N` and W `peerproc worker`s on `address`, as a user runs them; every process must exit 0. */
export async function peerprocCliRun(address: string, authkey: string, w: number, tasks: number): Promise<CliTimes> {
  const common = ['--address', address, '--authkey', authkey];
  const master = run(process.execPath, [CLI, 'master', ...common, '--tasks', String(tasks)]);
  const startWorkers = () => Array.from({ length: w }, () => run(process.execPath, [CLI, 'worker', ...common]));
  const { workerCodes, ...times } = await timed(master, startWorkers, tasks);
  if (workerCodes.some((c) => c !== 0)) throw new Error(`workers exited ${workerCodes.join(', ')}`);
  return times;
}

async function peerprocRun(ctx: Context, w: number, tasks: number): Promise<number> {
  return tasksPerS(tasks, await peerprocCliRun(ctx.address(`cli-seed-w${w}`), ctx.authkey, w, tasks));
}

async function cpythonRun(python: string, w: number, tasks: number): Promise<number> {
  const key = 'bench';
  const master = run(python, [resolve(FIXTURES, 'task_master_n.py'), '127.0.0.1', '0', key, String(tasks), '30']);
  const times = await timed(
    master,
    (first) => {
      const port = /:(\d+)$/.exec(first)?.[1] ?? '0';
      return Array.from({ length: w }, () =>
        run(python, [resolve(FIXTURES, 'task_worker.py'), '127.0.0.1', port, key]),
      );
    },
    tasks,
  );
  return tasksPerS(tasks, times);
}

export async function runCliSeed(ctx: Context): Promise<CliSeedResult> {
  const { tasks, repeat } = ctx.options;
  const result: CliSeedResult = { tasks, byWorkers: {} };
  for (const w of CLI_WORKERS) {
    const entry = { peerproc: [] as number[], cpython: [] as number[] };
    result.byWorkers[w] = entry;
    for (let r = 1; r <= repeat; r++) {
      const python = ctx.python?.command;
      const c = python
        ? await ctx.attempt(`CPython scripts W=${w} #${r}`, () => cpythonRun(python, w, tasks))
        : undefined;
      if (c !== undefined) entry.cpython.push(c);
      const p = await ctx.attempt(`peerproc CLI W=${w} #${r}`, () => peerprocRun(ctx, w, tasks));
      if (p !== undefined) entry.peerproc.push(p);
      ctx.progress(`  CLI W=${w} #${r}: peerproc ${Math.round(p ?? 0)} tasks/s, CPython scripts ${Math.round(c ?? 0)}`);
    }
  }
  return result;
}

export function cliSeedRows(ctx: Context, result: CliSeedResult | undefined): Row[] {
  return CLI_WORKERS.map((w) => {
    const entry = result?.byWorkers[w];
    return row({
      id: `cli_seed_tasks_per_s_w${w}`,
      measure: `seed example end to end through the CLI, W = ${w} (N = ${ctx.options.tasks.toLocaleString('en-US')}; CPython: task_master.py + task_worker.py)`,
      unit: 'tasks/s',
      peerproc: cellOf(summarize(entry?.peerproc ?? []), result ? 'failed' : 'not run'),
      cpython: cellOf(summarize(entry?.cpython ?? []), result ? 'failed' : 'not run'),
      target: {
        text: `≥ ${CLI_RATIO_TARGET}× CPython`,
        check: (_: number, ratio: number | null) => (ratio === null ? null : ratio >= CLI_RATIO_TARGET),
      },
    });
  });
}
