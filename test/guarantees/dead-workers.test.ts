/**
 * Workers that die never fail a run, with the CLI's default flags (issue:
 * "the guarantees hold with the defaults a user gets"). Every process here is
 * a real `peerproc` command, started as a user would, without tuning.
 */
import { afterEach, expect, it } from 'vitest';
import { type SignalProcess, startSignal } from '../support/cli-signal.js';
import { checkTranscript, killAll, peerproc, type Run } from '../support/processes.js';

/** The chaos run kills at most this many workers (one a second). */
const MAX_KILLS = 20;

let signal: SignalProcess | undefined;
afterEach(async () => {
  killAll();
  await signal?.stop();
  signal = undefined;
});

function resultCount(master: Run): number {
  return master.stdout.filter((l) => l.startsWith('Result: ')).length;
}

/** Resolves once the master has printed at least `count` results. */
async function resultsReach(master: Run, count: number): Promise<void> {
  while (resultCount(master) < count) {
    if (master.child.exitCode !== null) throw new Error(`master exited early\n${master.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

it('one worker SIGKILLed mid-run, two fresh ones started: all 20,000 results, every process exits 0', async () => {
  signal = await startSignal();
  const address = `${signal.base}/dead-fast`;
  const master = peerproc(['master', '--address', address, '--authkey', 'abc', '--tasks', '20000']);
  await master.waitForLine(/^Try get results\.\.\.$/);
  const victim = peerproc(['worker', '--address', address, '--authkey', 'abc']);
  await resultsReach(master, 200);
  victim.child.kill('SIGKILL');
  const fresh = [1, 2].map(() => peerproc(['worker', '--address', address, '--authkey', 'abc']));
  expect(await master.exited, master.output()).toBe(0);
  const { results } = checkTranscript(master.stdout);
  expect(results).toHaveLength(20_000);
  for (const worker of fresh) {
    expect(await worker.exited, worker.output()).toBe(0);
    expect(worker.stdout.at(-1)).toBe('worker exit.');
  }
  const redelivered = /(\d+) task\(s\) redelivered/.exec(master.stderr.join('\n'))?.[1];
  console.log(`dead fast worker: ${redelivered ?? 0} task(s) it held were redelivered`);
});

it('slow tasks (--work 0.05): a killed worker strands at most a few tasks, and the run completes', async () => {
  signal = await startSignal();
  const address = `${signal.base}/dead-slow`;
  const master = peerproc(['master', '--address', address, '--authkey', 'abc', '--tasks', '400']);
  await master.waitForLine(/^Try get results\.\.\.$/);
  const workers = [1, 2, 3].map(() => peerproc(['worker', '--address', address, '--authkey', 'abc', '--work', '0.05']));
  await resultsReach(master, 60);
  workers[0].child.kill('SIGKILL');
  expect(await master.exited, master.output()).toBe(0);
  expect(checkTranscript(master.stdout).results).toHaveLength(400);
  for (const worker of workers.slice(1)) expect(await worker.exited, worker.output()).toBe(0);
  const redelivered = Number(/(\d+) task\(s\) redelivered/.exec(master.stderr.join('\n'))?.[1]);
  console.log(`dead slow worker: ${redelivered} task(s) it held were redelivered`);
  // Killed mid-task, it held at least that one; 50 ms tasks keep a window of about one task
  // (PREFETCH_HORIZON_MS), where the old fixed window stranded ~74.
  expect(redelivered).toBeGreaterThanOrEqual(1);
  expect(redelivered).toBeLessThanOrEqual(4);
});

it('a worker SIGKILLed every second while replacements start: every result exactly once (default flags)', async () => {
  signal = await startSignal();
  const address = `${signal.base}/chaos-defaults`;
  const TASKS = 20_000;
  const master = peerproc(['master', '--address', address, '--authkey', 'abc', '--tasks', String(TASKS)]);
  await master.waitForLine(/^Try get results\.\.\.$/);
  // --work is the workload (a millisecond per task, so the run lasts long enough for many kills), not a tuning.
  const start = () => peerproc(['worker', '--address', address, '--authkey', 'abc', '--work', '0.001']);
  const workers: Run[] = [start(), start(), start(), start()];
  const killed: Run[] = [];
  const chaos = setInterval(() => {
    // Bounded, so a slow machine (workers start slowly) still reaches the end of the run.
    if (killed.length >= MAX_KILLS) return;
    const i = Math.floor(Math.random() * workers.length);
    workers[i].child.kill('SIGKILL');
    killed.push(workers[i]);
    workers[i] = start();
  }, 1_000);
  let code: number | null;
  try {
    code = await master.exited;
  } finally {
    clearInterval(chaos);
  }
  expect(code, master.output()).toBe(0);
  const { results } = checkTranscript(master.stdout);
  expect(results).toHaveLength(TASKS);
  expect(killed.length).toBeGreaterThanOrEqual(3);
  for (const worker of workers) expect(await worker.exited, worker.output()).toBe(0);
  console.log(
    `chaos with default flags: ${killed.length} kills; ${master.stderr.filter((l) => /redelivered|duplicate/.test(l)).join('; ')}`,
  );
});
