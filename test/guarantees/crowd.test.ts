/** Many workers started at once, as a user would start them, without --min-workers. */
import { afterEach, expect, it } from 'vitest';
import { type SignalProcess, startSignal } from '../support/cli-signal.js';
import { checkTranscript, killAll, peerproc } from '../support/processes.js';

let signal: SignalProcess | undefined;
afterEach(async () => {
  killAll();
  await signal?.stop();
  signal = undefined;
});

it('30 workers started together on 3,000 tasks: every result once, the master and all 30 workers exit 0', async () => {
  signal = await startSignal();
  const address = `${signal.base}/crowd`;
  const master = peerproc(['master', '--address', address, '--authkey', 'abc', '--tasks', '3000']);
  await master.waitForLine(/^Try get results\.\.\.$/);
  const workers = Array.from({ length: 30 }, () => peerproc(['worker', '--address', address, '--authkey', 'abc']));
  expect(await master.exited, master.output()).toBe(0);
  expect(checkTranscript(master.stdout).results).toHaveLength(3000);
  const codes = await Promise.all(workers.map((w) => w.exited));
  const failed = workers.filter((_, i) => codes[i] !== 0).map((w) => w.output());
  expect(failed, failed.join('\n----\n')).toEqual([]);
  const served = workers.filter((w) => w.stdout.some((l) => l.startsWith('run task '))).length;
  const late = workers.filter((w) => w.stdout.some((l) => /shut down: its run is over/.test(l))).length;
  console.log(`30 workers: ${served} ran tasks, ${late} arrived after the run ended`);
  for (const worker of workers) expect(worker.stdout.at(-1)).toBe('worker exit.');
});
