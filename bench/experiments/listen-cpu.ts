/**
 * Where the CPU goes when CPython workers use `peerproc master
 * --python-listen` (docs/performance.md, "Python listener"): the CPU time of
 * the master process (all its threads) and of each worker over the run, per
 * task, and how idle the machine was meanwhile, from /proc. The workers are
 * bench/python/listen_worker.py, as in the bench's python-listen section.
 *
 *   node dist/bench/experiments/listen-cpu.js [--workers 1,2] [--runs 3] [--tasks 20000]
 *       (inside scripts/netns.sh; python3 on PATH, or PYTHON=...)
 */
import { parseArgs } from 'node:util';
import { startSignalingServer } from '../../signaling/index.js';
import { killAllChildren, withTimeout } from '../lib/children.js';
import { runExperiment } from '../lib/experiment.js';
import { startLines } from '../lib/line-process.js';
import { intList, positiveInt } from '../lib/options.js';
import { CLI_JS, LISTEN_WORKER_PY } from '../lib/paths.js';
import { cpuSeconds, machineTicks } from '../lib/proc-cpu.js';

const AUTHKEY = 'listen-cpu-experiment-key';
const PYTHON = process.env.PYTHON ?? 'python3';

async function run(address: string, workers: number, tasks: number) {
  const env = { PEERPROC_AUTHKEY: AUTHKEY, PEERPROC_BENCH_AUTHKEY: AUTHKEY };
  const masterArgs = ['master', '--address', address, '--python-listen', '127.0.0.1:0', '--tasks', String(tasks)];
  const master = startLines(process.execPath, [CLI_JS, ...masterArgs], env);
  const listening = master.line(/serving Python workers on 127\.0\.0\.1:(\d+)/, 'stderr');
  const putting = master.line(/^Try get results/, 'stdout');
  const [, port] = await withTimeout(listening, 30_000, () => 'master listening');
  await withTimeout(putting, 30_000, () => 'master putting');
  const started = Array.from({ length: workers }, () => startLines(PYTHON, [LISTEN_WORKER_PY, port as string], env));
  await Promise.all(started.map((w) => withTimeout(w.line(/^ready$/, 'stdout'), 30_000, () => 'worker ready')));
  const pids = [master, ...started].map((p) => p.child.pid as number);
  const before = pids.map(cpuSeconds);
  const [idle0, total0] = machineTicks();
  const reports = started.map((w) => w.line(/^\{.*\}$/, 'stdout'));
  for (const w of started) w.child.stdin?.end('go\n');
  const done = (await Promise.all(reports)).map(([json]) => JSON.parse(json) as { first: number; last: number });
  const after = pids.map(cpuSeconds);
  const [idle1, total1] = machineTicks();
  const span = Math.max(...done.map((r) => r.last)) - Math.min(...done.map((r) => r.first));
  const perTask = (i: number) => (((after[i] ?? 0) - (before[i] ?? 0)) / tasks) * 1e6;
  const workerUs = started.reduce((sum, _, i) => sum + perTask(i + 1), 0);
  console.log(
    `W=${workers}: ${Math.round(tasks / span)} tasks/s; CPU per task: master ${perTask(0).toFixed(0)} µs, ` +
      `workers ${workerUs.toFixed(0)} µs together; machine idle ${((100 * (idle1 - idle0)) / (total1 - total0)).toFixed(0)} %`,
  );
  for (const w of started) w.child.kill('SIGKILL');
  await master.exited;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { workers: { type: 'string' }, runs: { type: 'string' }, tasks: { type: 'string' } },
  });
  const workerCounts = intList('workers', values.workers, [1, 2]);
  const runs = positiveInt('runs', values.runs, 3);
  const tasks = positiveInt('tasks', values.tasks, 20_000);
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'warn' });
  try {
    for (const workers of workerCounts) {
      for (let r = 0; r < runs; r++) await run(server.wsUrl('listen-cpu'), workers, tasks);
    }
  } finally {
    killAllChildren();
    await server.close();
  }
}

runExperiment('listen-cpu', main);
