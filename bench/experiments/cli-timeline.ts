/**
 * Where the time of the CLI row goes (docs/performance.md, "CLI end to
 * end"): `peerproc master --tasks N` and W `peerproc worker`s run as the
 * bench's cli-seed section runs them (workers spawned at the master's first
 * line, every transcript read completely through a pipe), with three moments
 * of each run: the master's first line, its first result line, its exit, in
 * ms after its spawn. What comes before the first result is start-up; what
 * comes after is the seed core's own rate.
 *
 *   bash scripts/netns.sh node dist/bench/experiments/cli-timeline.js [--workers 1,2] [--runs 5] [--tasks 100000]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startSignalingServer } from '../../signaling/index.js';
import { runExperiment } from '../lib/experiment.js';
import { intList, positiveInt } from '../lib/options.js';
import { CLI_JS } from '../lib/paths.js';

const AUTHKEY = 'cli-timeline';

interface Timeline {
  firstLineMs: number;
  firstResultMs: number;
  exitMs: number;
  results: number;
}

/** Spawns `peerproc ROLE ...` with its standard output piped to `onLine`; resolves with its exit code. */
function cli(args: string[], onLine: (line: string) => void): Promise<number | null> {
  const child = spawn(process.execPath, [CLI_JS, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  let rest = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  return new Promise((resolve) => child.on('close', resolve));
}

async function oneRun(address: string, workers: number, tasks: number): Promise<Timeline> {
  const common = ['--address', address, '--authkey', AUTHKEY];
  const started = performance.now();
  const since = () => performance.now() - started;
  let firstLineMs: number | undefined;
  let firstResultMs: number | undefined;
  let results = 0;
  const workersDone: Array<Promise<number | null>> = [];
  const code = await cli(['master', ...common, '--tasks', String(tasks)], (line) => {
    if (firstLineMs === undefined) {
      firstLineMs = since();
      for (let i = 0; i < workers; i++) workersDone.push(cli(['worker', ...common], () => {}));
    }
    if (line.startsWith('Result: ') && results++ === 0) firstResultMs = since();
  });
  const exitMs = since();
  const workerCodes = await Promise.all(workersDone);
  if (code !== 0 || workerCodes.some((c) => c !== 0)) {
    throw new Error(`master exited ${code}, workers ${workerCodes.join(', ')}`);
  }
  if (results !== tasks || firstLineMs === undefined || firstResultMs === undefined) {
    throw new Error(`${results} of ${tasks} result lines`);
  }
  return { firstLineMs, firstResultMs, exitMs, results };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { workers: { type: 'string' }, runs: { type: 'string' }, tasks: { type: 'string' } },
  });
  const workerCounts = intList('workers', values.workers, [1, 2]);
  const runs = positiveInt('runs', values.runs, 5);
  const tasks = positiveInt('tasks', values.tasks, 100_000);
  const signaling = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
  try {
    for (const w of workerCounts) {
      for (let r = 1; r <= runs; r++) {
        const t = await oneRun(signaling.wsUrl(`cli-timeline-w${w}-${r}`), w, tasks);
        const afterFirst = tasks / ((t.exitMs - t.firstResultMs) / 1000);
        process.stdout.write(
          `W=${w} #${r}: first line ${t.firstLineMs.toFixed(0)} ms, first result ${t.firstResultMs.toFixed(0)} ms, ` +
            `exit ${t.exitMs.toFixed(0)} ms: ${Math.round(tasks / (t.exitMs / 1000))} tasks/s in all, ` +
            `${Math.round(afterFirst)} from the first result on\n`,
        );
      }
    }
  } finally {
    await signaling.close();
  }
}

runExperiment('cli-timeline', main);
