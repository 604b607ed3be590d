import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseManager, loadPlatform, Queue, silentLogger } from '../../node/index.js';
import type { SignalingServer } from '../../signaling/index.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';

let signaling: SignalingServer;
beforeAll(async () => {
  signaling = await startTestSignaling();
});
afterAll(async () => {
  await signaling.close();
});

describe('Node WebRTC bindings interoperate', () => {
  for (const [masterBinding, workerBinding] of [
    ['wrtc', 'node-datachannel'],
    ['node-datachannel', 'wrtc'],
    ['wrtc', 'wrtc'],
  ] as const) {
    it(`a ${masterBinding} master serves a ${workerBinding} worker`, async () => {
      const address = signaling.wsUrl(freshRoom(masterBinding));
      const tasks = new Queue<number>();
      const master = new BaseManager<{ tasks: Queue<number> }>({
        address,
        authkey: 'k',
        logger: silentLogger,
        platform: await loadPlatform(masterBinding),
      });
      master.register('tasks', () => tasks);
      await master.start();
      for (let n = 0; n < 100; n++) tasks.putNowait(n);
      const worker = new BaseManager<{ tasks: Queue<number> }>({
        address,
        authkey: 'k',
        logger: silentLogger,
        platform: await loadPlatform(workerBinding),
      });
      worker.register('tasks');
      await worker.connect();
      const task = await worker.tasks();
      const got: number[] = [];
      for (let i = 0; i < 100; i++) got.push(await task.get({ timeout: 5 }));
      expect(got).toEqual(Array.from({ length: 100 }, (_, n) => n));
      expect(master.workers()[0].agent).toBe(workerBinding);
      await worker.shutdown();
      await master.shutdown();
    });
  }
});
