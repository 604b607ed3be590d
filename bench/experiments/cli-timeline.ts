/**
 * Where the time of the CLI row goes (docs/performance.md, "CLI end to
 * end"): `peerproc master --tasks N` and W `peerproc worker`s run by the
 * bench's cli-seed section's own code (workers spawned at the master's first
 * line, every transcript read completely through a pipe), with three moments
 * of each run: the master's first line, its first result line, its exit, in
 * ms after its spawn. What comes before the first result is start-up; what
 * comes after is the seed core's own rate.
 *
 *   bash scripts/netns.sh node dist/bench/experiments/cli-timeline.js [--workers 1,2] [--runs 5] [--tasks 100000]
 */
import { parseArgs } from 'node:util';
import { startSignalingServer } from '../../signaling/index.js';
import { runExperiment } from '../lib/experiment.js';
import { intList, positiveInt } from '../lib/options.js';
import { peerprocCliRun } from '../sections/cli-seed.js';

const AUTHKEY = 'cli-timeline';

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
        const t = await peerprocCliRun(signaling.wsUrl(`cli-timeline-w${w}-${r}`), AUTHKEY, w, tasks);
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
