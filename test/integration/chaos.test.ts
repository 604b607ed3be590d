import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BaseManager, Queue, type QueueEntry, silentLogger } from '../../node/index.js';
import type { SignalingServer } from '../../signaling/index.js';
import { killAll, peerproc, type Run } from '../support/processes.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';

const TASKS = 20_000;
const WORKERS = 4;
/** Seconds of silence after which the master gives a dead worker's tasks to others. */
const DEAD_AFTER = 2;
const KILL_EVERY_MS = 1_000;

let signaling: SignalingServer;
beforeAll(async () => {
  signaling = await startTestSignaling();
});
afterAll(async () => {
  killAll();
  await signaling.close();
});

it('loses nothing while a random worker is SIGKILLed every second: every result exactly once', async () => {
  const address = signaling.wsUrl(freshRoom('chaos'));
  const tasks = new Queue<number>();
  const results = new Queue<string>();
  const master = new BaseManager<{ get_task_queue: Queue<number>; get_result_queue: Queue<string> }>({
    address,
    authkey: 'chaos',
    logger: silentLogger,
    heartbeatInterval: 0.5,
    deadAfter: DEAD_AFTER,
  });
  master.register('get_task_queue', () => tasks);
  master.register('get_result_queue', () => results);
  await master.start();
  for (let n = 0; n < TASKS; n++) tasks.putNowait(n);

  // Each task takes a millisecond or so of "work", so the run lasts long enough for many kills.
  const startWorker = () =>
    peerproc(['worker', '--address', address, '--authkey', 'chaos', '--work', '0.001', '--idle', '30']);
  const workers: Run[] = Array.from({ length: WORKERS }, startWorker);
  let kills = 0;
  const chaos = setInterval(() => {
    const victim = Math.floor(Math.random() * workers.length);
    workers[victim].child.kill('SIGKILL');
    workers[victim] = startWorker();
    kills++;
  }, KILL_EVERY_MS);

  const answered = new Map<number, string>();
  let duplicates = 0;
  const started = performance.now();
  try {
    while (answered.size < TASKS) {
      const entry: QueueEntry<string> = await results.getEntry({ timeout: 30 }).catch((err: Error) => {
        // What was left where, so that a stall says what stalled.
        const dead = tasks.deadLetters.qsize();
        throw new Error(
          `${err.name} after ${answered.size} of ${TASKS} results: ${tasks.qsize()} queued, ${tasks.inFlight()} in ` +
            `flight, ${tasks.waitingPeers()} worker(s) waiting, ${tasks.redeliveries} redelivered, ${dead} dead letter(s)`,
        );
      });
      expect(entry.answers).toBeTypeOf('number');
      if (answered.has(entry.answers as number)) duplicates++;
      else answered.set(entry.answers as number, entry.value);
    }
  } finally {
    clearInterval(chaos);
  }
  const seconds = (performance.now() - started) / 1000;
  await master.shutdown();

  const numbers = [...answered.values()].map((r) => {
    const [, a, b, square] = /^(\d+) \* (\d+) = (\d+)$/.exec(r) ?? [];
    expect(Number(a)).toBe(Number(b));
    expect(Number(square)).toBe(Number(a) * Number(a));
    return Number(a);
  });
  expect(new Set(numbers).size).toBe(TASKS);
  expect(Math.min(...numbers)).toBe(0);
  expect(Math.max(...numbers)).toBe(TASKS - 1);
  expect(tasks.deadLetters.qsize()).toBe(0);

  const figures = {
    tasks: TASKS,
    workers: WORKERS,
    kills,
    redeliveries: tasks.redeliveries,
    duplicates,
    seconds: Number(seconds.toFixed(1)),
    deadAfterSeconds: DEAD_AFTER,
  };
  console.log(`chaos run: ${JSON.stringify(figures)}`);
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync('test-artifacts/chaos.json', `${JSON.stringify(figures, null, 2)}\n`);
  expect(kills).toBeGreaterThan(0);
}, 180_000);
