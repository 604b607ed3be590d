/** The master's own process: its event loop keeps turning while it puts, and none of its output is lost. */
import { afterEach, expect, it } from 'vitest';
import { BaseManager, Queue, silentLogger } from '../../node/index.js';
import { type SignalProcess, startSignal } from '../support/cli-signal.js';
import { CLI, collected, killAll, peerproc } from '../support/processes.js';

let signal: SignalProcess | undefined;
afterEach(async () => {
  killAll();
  await signal?.stop();
  signal = undefined;
});

it('a master putting a million tasks still lets a worker connect and take tasks meanwhile', async () => {
  signal = await startSignal();
  const address = `${signal.base}/million`;
  const tasks = new Queue<number>();
  const master = new BaseManager<{ get_task_queue: Queue<number>; get_result_queue: Queue<string> }>({
    address,
    authkey: 'abc',
    logger: silentLogger,
  });
  master.register('get_task_queue', () => tasks);
  master.register('get_result_queue', () => new Queue<string>());
  await master.start();
  const task = await master.get_task_queue();
  const worker = peerproc(['worker', '--address', address, '--authkey', 'abc', '--idle', '30']);
  // Start putting once the worker is knocking: its whole handshake then has to happen during the puts.
  await new Promise<void>((resolve) => {
    const off = master.on((e) => {
      if (e.type === 'worker-connecting') {
        off();
        resolve();
      }
    });
  });
  const TOTAL = 1_000_000;
  let putsWhenServed: number | undefined;
  let puts = 0;
  for (; puts < TOTAL; puts++) {
    await task.put(puts);
    if (putsWhenServed === undefined && tasks.inFlight() + tasks.redeliveries > 0) putsWhenServed = puts;
  }
  console.log(`first task taken by the worker after ${putsWhenServed} of ${TOTAL} puts`);
  expect(putsWhenServed).toBeDefined();
  expect(putsWhenServed).toBeLessThan(TOTAL);
  worker.child.kill('SIGTERM');
  await master.shutdown();
});

it('every line of a 20,000-task transcript reaches a slow reader through a pipe', async () => {
  signal = await startSignal();
  const address = `${signal.base}/slow-pipe`;
  const TASKS = 20_000;
  // The reader takes nothing for 4 s, then counts: the master has exited long before.
  const piped = collected('bash', [
    '-c',
    `"${process.execPath}" "${CLI}" master --address ${address} --authkey abc --tasks ${TASKS} | (sleep 4; grep -c '^Result: ')`,
  ]);
  const worker = peerproc(['worker', '--address', address, '--authkey', 'abc']);
  expect(await worker.exited, worker.output()).toBe(0);
  expect(await piped.exited, piped.output()).toBe(0);
  expect(piped.stdout[0]).toBe(String(TASKS));
});
