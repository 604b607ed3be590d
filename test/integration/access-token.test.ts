import { afterAll, beforeAll, expect, it } from 'vitest';
import { BaseManager, Queue, SignalingError, silentLogger } from '../../node/index.js';
import type { SignalingServer } from '../../signaling/index.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';

const TOKEN = 'a-long-random-access-token';
let signaling: SignalingServer;
beforeAll(async () => {
  signaling = await startTestSignaling({ accessToken: TOKEN });
});
afterAll(async () => {
  await signaling.close();
});

it('peers present the access token in the address; without it the server refuses them', async () => {
  const room = freshRoom('token');
  const address = `${signaling.wsUrl(room)}?token=${TOKEN}`;
  const tasks = new Queue<number>();
  tasks.putNowait(6);
  const master = new BaseManager<{ tasks: Queue<number> }>({ address, authkey: 'k', logger: silentLogger });
  master.register('tasks', () => tasks);
  await master.start();

  const worker = new BaseManager<{ tasks: Queue<number> }>({ address, authkey: 'k', logger: silentLogger });
  worker.register('tasks');
  await worker.connect();
  expect(await (await worker.tasks()).get()).toBe(6);
  await worker.shutdown();

  const intruder = new BaseManager<{ tasks: Queue<number> }>({
    address: signaling.wsUrl(room),
    authkey: 'k',
    logger: silentLogger,
  });
  intruder.register('tasks');
  await expect(intruder.start()).rejects.toBeInstanceOf(SignalingError);
  await expect(intruder.start()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  await master.shutdown();
});
