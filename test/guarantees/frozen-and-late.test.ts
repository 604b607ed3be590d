/** Workers that freeze, arrive late, or find no master end as the user expects, with default flags. */
import { afterEach, expect, it } from 'vitest';
import { BaseManager, PeerShutdownError, Queue, silentLogger } from '../../node/index.js';
import { type SignalProcess, startSignal } from '../support/cli-signal.js';
import { checkTranscript, killAll, peerproc } from '../support/processes.js';
import { rawSignalingClient } from '../support/raw-signaling.js';

let signal: SignalProcess | undefined;
afterEach(async () => {
  killAll();
  await signal?.stop();
  signal = undefined;
});

it('a worker frozen for 8 s (SIGSTOP) and woken reconnects, carries on and exits 0', async () => {
  signal = await startSignal();
  const address = `${signal.base}/frozen`;
  // 2,000 tasks of 10 ms on two workers: about 10 s, so the run outlasts the freeze.
  const master = peerproc(['master', '--address', address, '--authkey', 'abc', '--tasks', '2000']);
  await master.waitForLine(/^Try get results\.\.\.$/);
  const frozen = peerproc(['worker', '--address', address, '--authkey', 'abc', '--work', '0.01']);
  const other = peerproc(['worker', '--address', address, '--authkey', 'abc', '--work', '0.01']);
  await frozen.waitForLine(/^run task /);
  frozen.child.kill('SIGSTOP');
  await new Promise((resolve) => setTimeout(resolve, 8_000));
  frozen.child.kill('SIGCONT');
  expect(await master.exited, master.output()).toBe(0);
  expect(checkTranscript(master.stdout).results).toHaveLength(2000);
  expect(await frozen.exited, frozen.output()).toBe(0);
  expect(await other.exited, other.output()).toBe(0);
  expect(frozen.stdout.at(-1)).toBe('worker exit.');
});

it('a worker started after the master finished says so and exits 0 at once', async () => {
  signal = await startSignal();
  const address = `${signal.base}/late`;
  const master = peerproc(['master', '--address', address, '--authkey', 'abc', '--tasks', '5']);
  await master.waitForLine(/^Try get results\.\.\.$/);
  const worker = peerproc(['worker', '--address', address, '--authkey', 'abc']);
  expect(await master.exited).toBe(0);
  expect(await worker.exited).toBe(0);
  const late = peerproc(['worker', '--address', address, '--authkey', 'abc']);
  expect(await late.exited, late.output()).toBe(0);
  expect(late.stdout).toContain('the master of room late shut down: its run is over.');
  expect(late.stdout.at(-1)).toBe('worker exit.');
  expect(late.stdout.some((l) => l.startsWith('run task'))).toBe(false);
});

it('a worker that finds no master within --wait exits 1 without the success line', async () => {
  signal = await startSignal();
  const worker = peerproc(['worker', '--address', `${signal.base}/nobody`, '--authkey', 'abc', '--wait', '1']);
  expect(await worker.exited).toBe(1);
  expect(worker.stderr.join('\n')).toMatch(/ConnectTimeoutError: no master reachable at .*nobody within 1 s/);
  expect(worker.stdout).not.toContain('worker exit.');
});

it('acts at once on master-left while connecting: a worker stuck on a vanished master finds the next one', async () => {
  signal = await startSignal();
  const address = `${signal.base}/vanish`;
  // A "master" that registers and never answers the offer, then disconnects (a crash mid-setup).
  const ghost = await rawSignalingClient(address, 'master');
  const worker = new BaseManager({ address, authkey: 'abc', logger: silentLogger, connectTimeout: 300, wait: 300 });
  worker.register('get_task_queue');
  const connecting = worker.connect();
  await ghost.nextMessage('peer');
  await ghost.close();
  const tasks = new Queue<number>();
  const master = new BaseManager({ address, authkey: 'abc', logger: silentLogger });
  master.register('get_task_queue', () => tasks);
  await master.start();
  // Had the worker ignored master-left, it would sit out its 300 s connect timeout (and this test's time limit).
  await connecting;
  await tasks.put(7);
  const proxy = await worker.proxy<Queue<number>>('get_task_queue');
  expect(await proxy.get({ timeout: 5 })).toBe(7);
  await worker.shutdown();
  await master.shutdown();
});

it("connect() ends with PeerShutdownError when the room's master shut down while it waited", async () => {
  signal = await startSignal();
  const address = `${signal.base}/ended`;
  const master = new BaseManager({ address, authkey: 'abc', logger: silentLogger });
  master.register('get_task_queue', () => new Queue<number>());
  await master.start();
  await master.shutdown();
  const worker = new BaseManager({ address, authkey: 'abc', logger: silentLogger, wait: 300 });
  await expect(worker.connect()).rejects.toBeInstanceOf(PeerShutdownError);
});
