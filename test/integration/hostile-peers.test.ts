import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseManager, type Logger, Queue } from '../../node/index.js';
import type { SignalingServer } from '../../signaling/index.js';
import { connectRawPeer } from '../support/raw-peer.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';

interface Jobs {
  get_task_queue: Queue<number>;
  get_result_queue: Queue<string>;
}

let signaling: SignalingServer;
beforeAll(async () => {
  signaling = await startTestSignaling();
});
afterAll(async () => {
  await signaling.close();
});

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  return { lines, logger };
}

async function startMaster(address: string, logger: Logger) {
  const tasks = new Queue<number>();
  const results = new Queue<string>();
  const master = new BaseManager<Jobs>({ address, authkey: 'abc', logger, handshakeTimeout: 2 });
  master.register('get_task_queue', () => tasks);
  master.register('get_result_queue', () => results);
  await master.start();
  return { master, tasks, results };
}

async function legitimateRound(address: string, n: number, results: Queue<string>) {
  const worker = new BaseManager<Jobs>({ address, authkey: 'abc', logger: recordingLogger().logger });
  worker.register('get_task_queue');
  worker.register('get_result_queue');
  await worker.connect();
  const task = await worker.get_task_queue();
  const result = await worker.get_result_queue();
  const got = await task.get({ timeout: 5 });
  await result.put(`${got} * ${got} = ${got * got}`);
  expect(await results.get({ timeout: 5 })).toBe(`${n} * ${n} = ${n * n}`);
  await worker.shutdown();
}

describe('hostile peers against a running master', () => {
  it('gives an unauthenticated peer nothing but the nonce and a refusal, then drops it', async () => {
    const address = signaling.wsUrl(freshRoom());
    const { lines, logger } = recordingLogger();
    const { master, tasks, results } = await startMaster(address, logger);
    await tasks.put(11);
    const raw = await connectRawPeer(address);
    while (raw.received.length === 0) await new Promise((r) => setTimeout(r, 10)); // the master's nonce
    raw.send(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
    await raw.closed;
    expect(raw.received.map((f) => f.length)).toEqual([34, 1]);
    expect(lines.filter((l) => l.includes('failed authentication'))).toHaveLength(1);
    await legitimateRound(address, 11, results);
    await master.shutdown();
  });

  it('drops a peer that never authenticates after the handshake timeout', async () => {
    const address = signaling.wsUrl(freshRoom());
    const { lines, logger } = recordingLogger();
    const { master } = await startMaster(address, logger);
    const raw = await connectRawPeer(address);
    await raw.closed;
    expect(raw.received.map((f) => f.length)).toEqual([34]);
    expect(lines.join('\n')).toMatch(/not completed within 2000 ms/);
    await master.shutdown();
  });

  it('closes an authenticated peer that sends garbage frames, and keeps serving others', async () => {
    const address = signaling.wsUrl(freshRoom());
    const { lines, logger } = recordingLogger();
    const { master, tasks, results } = await startMaster(address, logger);
    const garbage: Array<[string, Uint8Array]> = [
      ['unknown frame type', new Uint8Array([0x7f, 1, 2, 3])],
      ['undecodable batch', new Uint8Array([0x01, 0xc1])],
      ['malformed message', new Uint8Array([0x01, 0x93, 0x63, 0x01, 0x02])],
      ['huge announced stream', new Uint8Array([0x02, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0])],
    ];
    const reasons = () => lines.filter((l) => /worker \w+ left: .*(unknown|undecodable|malformed|limit)/i.test(l));
    for (const [index, [what, frame]] of garbage.entries()) {
      const raw = await connectRawPeer(address);
      await raw.authenticate('abc');
      raw.send(frame);
      await raw.closed;
      await new Promise((r) => setTimeout(r, 50)); // the master logs as it closes its side
      expect(reasons(), what).toHaveLength(index + 1);
      await tasks.put(7);
      await legitimateRound(address, 7, results);
    }
    await master.shutdown();
  });
});

describe('payloads', () => {
  it('carries a 32 MiB payload through a queue in both directions', async () => {
    const address = signaling.wsUrl(freshRoom());
    const data = new Queue<Uint8Array>();
    const back = new Queue<Uint8Array>();
    const master = new BaseManager<{ data: Queue<Uint8Array>; back: Queue<Uint8Array> }>({
      address,
      authkey: 'k',
      logger: recordingLogger().logger,
    });
    master.register('data', () => data);
    master.register('back', () => back);
    await master.start();
    const payload = new Uint8Array(32 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 1021) payload[i] = i & 0xff;
    await data.put(payload);

    const worker = new BaseManager<{ data: Queue<Uint8Array>; back: Queue<Uint8Array> }>({
      address,
      authkey: 'k',
      logger: recordingLogger().logger,
    });
    worker.register('data');
    worker.register('back');
    await worker.connect();
    const remoteData = await worker.data();
    const remoteBack = await worker.back();
    const got = await remoteData.get({ timeout: 30 });
    expect(got.length).toBe(payload.length);
    expect(Buffer.compare(got, payload)).toBe(0);
    // A small call made while the big one streams is not stuck behind it.
    const [, size] = await Promise.all([remoteBack.put(got), remoteData.qsize()]);
    expect(size).toBe(0);
    const returned = await back.get({ timeout: 30 });
    expect(Buffer.compare(returned, payload)).toBe(0);
    // A large result put just before shutdown() still arrives: the goodbye waits for it.
    await remoteBack.put(payload);
    await worker.shutdown();
    const last = await back.get({ timeout: 30 });
    expect(Buffer.compare(last, payload)).toBe(0);
    await master.shutdown();
  });
});
