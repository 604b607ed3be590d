/**
 * CPython workers on a peerproc master: the classic task_worker.py loop
 * (bench/python/listen_worker.py) against `peerproc master --python-listen`
 * and, beside it in the same run, against CPython's own classic master
 * (task_master_n.py), with 1 and 2 workers. Both masters put every task
 * before the workers start; the rate is tasks over the span from the first
 * worker's first task to the last worker's last result, as the workers see it.
 */
import { withTimeout } from '../lib/children.js';
import type { Context } from '../lib/context.js';
import { startLines } from '../lib/line-process.js';
import { CLASSIC_MASTER_PY, CLI_JS, LISTEN_WORKER_PY } from '../lib/paths.js';
import { cellOf, type Row, row } from '../lib/report.js';
import { summarize } from '../lib/stats.js';

/** Longest a master waits for one result, seconds (a stuck run fails instead of hanging). */
const RESULT_TIMEOUT_S = 60;

export interface ListenRun {
  master: 'peerproc' | 'cpython';
  workers: number;
  tasks: number;
  tasks_per_s: number;
}

export type ListenResult = ListenRun[];

async function runWorkers(ctx: Context, port: string, workers: number, tasks: number): Promise<number> {
  const python = ctx.python?.command as string;
  const started = Array.from({ length: workers }, () =>
    startLines(python, [LISTEN_WORKER_PY, port], { PEERPROC_BENCH_AUTHKEY: ctx.authkey }),
  );
  try {
    // Every worker connected first, then all start together.
    await Promise.all(started.map((w) => withTimeout(w.line(/^ready$/, 'stdout'), 30_000, () => 'worker connect')));
    const reports = started.map((w) => w.line(/^\{.*\}$/, 'stdout'));
    for (const w of started) w.child.stdin?.end('go\n');
    const done = await Promise.all(
      reports.map(async (line, i) => {
        const [json] = await withTimeout(line, 30_000 + tasks * 5, () => `listen worker ${i + 1} report`);
        return JSON.parse(json) as { done: number; first: number; last: number };
      }),
    );
    const total = done.reduce((sum, r) => sum + r.done, 0);
    if (total !== tasks) throw new Error(`workers did ${total} tasks of ${tasks}`);
    const working = done.filter((r) => r.done > 0);
    const span = Math.max(...working.map((r) => r.last)) - Math.min(...working.map((r) => r.first));
    return tasks / span;
  } finally {
    for (const w of started) w.child.kill('SIGKILL');
  }
}

async function againstPeerproc(ctx: Context, workers: number, tasks: number): Promise<number> {
  const master = startLines(
    process.execPath,
    [
      CLI_JS,
      'master',
      '--address',
      ctx.address('listen'),
      '--python-listen',
      '127.0.0.1:0',
      '--tasks',
      String(tasks),
      '--timeout',
      String(RESULT_TIMEOUT_S),
    ],
    { PEERPROC_AUTHKEY: ctx.authkey },
  );
  try {
    const [, port] = await master.line(/^serving Python workers on 127\.0\.0\.1:(\d+)$/, 'stderr');
    await master.line(/^Try get results\.\.\.$/, 'stdout');
    const rate = await runWorkers(ctx, port as string, workers, tasks);
    const code = await master.exited;
    if (code !== 0) throw new Error(`peerproc master exited ${code}`);
    return rate;
  } finally {
    master.child.kill('SIGKILL');
  }
}

async function againstCPython(ctx: Context, workers: number, tasks: number): Promise<number> {
  const python = ctx.python?.command as string;
  const master = startLines(
    python,
    ['-u', CLASSIC_MASTER_PY, '127.0.0.1', '0', ctx.authkey, String(tasks), String(RESULT_TIMEOUT_S)],
    {},
  );
  try {
    const [, port] = await master.line(/^Master listening on 127\.0\.0\.1:(\d+)$/, 'stdout');
    await master.line(/^Try get results\.\.\.$/, 'stdout');
    const rate = await runWorkers(ctx, port as string, workers, tasks);
    const code = await master.exited;
    if (code !== 0) throw new Error(`CPython master exited ${code}`);
    return rate;
  } finally {
    // The classic master's manager server is a child of it: it ends with manager.shutdown(), or here.
    master.child.kill('SIGKILL');
  }
}

export async function runPythonListen(ctx: Context): Promise<ListenResult> {
  const { listenTasks: tasks, listenWorkers, repeat } = ctx.options;
  if (!ctx.python) {
    ctx.progress('  no python3: this section needs CPython workers; left out');
    return [];
  }
  const runs: ListenRun[] = [];
  for (const workers of listenWorkers) {
    for (let r = 0; r < repeat; r++) {
      // Alternate, so that neither master always runs on a warmer machine.
      for (const master of ['peerproc', 'cpython'] as const) {
        const rate = await ctx.attempt(`python-listen ${master} W=${workers} #${r + 1}`, () =>
          master === 'peerproc' ? againstPeerproc(ctx, workers, tasks) : againstCPython(ctx, workers, tasks),
        );
        if (rate === undefined) continue;
        runs.push({ master, workers, tasks, tasks_per_s: rate });
        ctx.progress(`  ${master} master, ${workers} CPython worker(s): ${Math.round(rate)} tasks/s`);
      }
    }
  }
  return runs;
}

/** The target: the peerproc master serves CPython workers at least this many times faster than CPython's own. */
export const LISTEN_RATIO_TARGET = 2;

export function pythonListenRows(ctx: Context, result: ListenResult | undefined): Row[] {
  const { listenTasks: tasks, listenWorkers } = ctx.options;
  return listenWorkers.map((workers) => {
    const rates = (master: ListenRun['master']) =>
      summarize((result ?? []).filter((r) => r.master === master && r.workers === workers).map((r) => r.tasks_per_s));
    return row({
      id: `python_listen_tasks_per_s_w${workers}`,
      measure: `${tasks.toLocaleString('en-US')} tasks, ${workers} CPython worker${workers === 1 ? '' : 's'}: peerproc master --python-listen / CPython's master`,
      unit: 'tasks/s',
      peerproc: cellOf(rates('peerproc'), 'not run'),
      cpython: cellOf(rates('cpython'), ctx.python ? 'not run' : 'no python3'),
      target: {
        text: `≥ ${LISTEN_RATIO_TARGET}× CPython`,
        check: (_, ratio) => (ratio === null ? null : ratio >= LISTEN_RATIO_TARGET),
      },
    });
  });
}
