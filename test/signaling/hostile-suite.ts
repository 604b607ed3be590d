/**
 * Hostile input against a running server, while a legitimate master/worker
 * pair keeps exchanging signals: after every attack the pair must still work.
 * Run against a single process (hostile.test.ts) and against one node of a
 * Redis cluster whose pair lives on the other nodes (cluster-hostile.test.ts).
 */
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNALING_ERROR_CODES } from '../../shared/signaling/protocol.js';
import type { SignalingOptions } from '../../signaling/config.js';
import type { SignalingServer } from '../../signaling/server.js';
import { eventually, TestClient } from './helpers.js';

/** Where the attacks go, and where the legitimate pair registers. */
export interface HostileSetup {
  /** The server under attack. */
  readonly server: SignalingServer;
  readonly masterServer: SignalingServer;
  readonly workerServer: SignalingServer;
  /** Connections the legitimate pair holds on the attacked server. */
  readonly pairConnections: number;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 64 * 1024;
const FLOOD_CONNECTIONS = 1_000;
const MAX_PER_IP = 100;

export function describeHostile(title: string, start: (options: Partial<SignalingOptions>) => Promise<HostileSetup>) {
  let setup: HostileSetup;
  let server: SignalingServer;
  let master: TestClient;
  let worker: TestClient;
  let masterId: string;
  let workerId: string;
  let round = 0;

  /** One signal each way between the legitimate pair. */
  async function pairStillWorks(): Promise<void> {
    round += 1;
    worker.send({ type: 'signal', to: masterId, data: { round } });
    expect(await master.next()).toEqual({ type: 'signal', from: workerId, data: { round } });
    master.send({ type: 'signal', to: workerId, data: { round, answer: true } });
    expect(await worker.next()).toEqual({ type: 'signal', from: masterId, data: { round, answer: true } });
  }

  /** Opens a raw TCP connection to the server (127.0.0.1 only). */
  function rawSocket(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => resolve(socket));
      socket.on('error', reject);
    });
  }

  /** Completes a WebSocket handshake by hand, for writing arbitrary bytes afterwards. */
  async function rawWebSocket(room: string): Promise<Socket> {
    const socket = await rawSocket();
    socket.write(
      `GET /${room} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await new Promise<void>((resolve) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n\r\n')) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
    });
    return socket;
  }

  beforeAll(async () => {
    setup = await start({
      trustProxy: true,
      maxConnectionsPerIp: MAX_PER_IP,
      ipConnectionsPerSecond: 10,
      ipConnectionBurst: MAX_PER_IP,
      messagesPerSecond: 1_000_000,
      messageBurst: 1_000_000,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      maxBufferedBytes: 256 * 1024,
      idleTimeoutMs: 1_500,
    });
    server = setup.server;
    const m = await TestClient.register(setup.masterServer, 'legit', 'master');
    const w = await TestClient.register(setup.workerServer, 'legit', 'worker');
    [master, masterId, worker, workerId] = [m.client, m.id, w.client, w.id];
    await master.next(); // peer
    await worker.next(); // master
    await pairStillWorks();
  });

  afterAll(async () => {
    await setup?.close();
  });

  describe(title, () => {
    it('survives random bytes instead of HTTP, and random bytes after the handshake', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ minLength: 1, maxLength: 512 }),
          fc.boolean(),
          async (bytes, afterHandshake) => {
            const socket = afterHandshake ? await rawWebSocket('noise') : await rawSocket();
            socket.on('error', () => {});
            socket.write(bytes);
            socket.destroy();
          },
        ),
        { numRuns: 40 },
      );
      await pairStillWorks();
    });

    it('answers binary frames, invalid JSON, non-objects and wrong fields with BAD_MESSAGE', async () => {
      const client = await TestClient.connect(server.wsUrl('legit'));
      client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      expect(await client.nextError()).toBe('BAD_MESSAGE');
      for (const text of [
        '{',
        'null',
        '42',
        '"register"',
        '[]',
        '{"type":7}',
        '{}',
        '{"type":"register","role":"boss"}',
      ]) {
        client.send(text);
        expect(await client.nextError()).toBe('BAD_MESSAGE');
      }
      client.send({ type: 'register', role: 'worker', id: 'short' });
      expect(await client.nextError()).toBe('BAD_MESSAGE');
      client.send({ type: 'hello' });
      expect(await client.nextError()).toBe('UNKNOWN_TYPE');
      expect(client.ws.readyState).toBe(client.ws.OPEN);
      const { id } = await (async () => {
        const reply = await client.request({ type: 'register', role: 'worker', id: 'late-worker-1' });
        return reply as { id: string };
      })();
      await master.next(); // peer
      await client.next(); // master
      for (const bad of [
        { type: 'signal', data: 1 },
        { type: 'signal', to: 5, data: 1 },
        { type: 'signal', to: masterId },
      ]) {
        client.send(bad);
        expect(await client.nextError()).toBe('BAD_MESSAGE');
      }
      await client.close();
      expect(await master.next()).toEqual({ type: 'peer-left', peer: id });
      await pairStillWorks();
    });

    it('gives every arbitrary text frame one reply with a known code, and stays up', async () => {
      const client = await TestClient.connect(server.wsUrl('fuzz'));
      const notRegister = (text: string) => {
        try {
          return (JSON.parse(text) as { type?: unknown })?.type !== 'register';
        } catch {
          return true;
        }
      };
      const frames = fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.jsonValue().map((value) => JSON.stringify(value)),
        fc
          .record({ type: fc.oneof(fc.string(), fc.constantFrom('signal', 'ping', '__proto__')), to: fc.jsonValue() })
          .map((value) => JSON.stringify(value)),
      );
      await fc.assert(
        fc.asyncProperty(frames.filter(notRegister), async (text) => {
          client.send(text);
          const reply = await client.next();
          expect(reply.type).toBe('error');
          expect(SIGNALING_ERROR_CODES).toContain(reply.type === 'error' ? reply.code : '');
        }),
        { numRuns: 300 },
      );
      expect(client.ws.readyState).toBe(client.ws.OPEN);
      await client.close();
      await pairStillWorks();
    });

    it('closes a text frame with invalid UTF-8 (1007) without harm', async () => {
      const client = await TestClient.connect(server.wsUrl('utf8'));
      client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
      expect((await client.closed).code).toBe(1007);
      await pairStillWorks();
    });

    it('answers a message over the limit with TOO_LARGE and closes (1009); far over, ws drops it unread', async () => {
      const over = await TestClient.connect(server.wsUrl('big'));
      over.send({ type: 'ping', pad: 'x'.repeat(MAX_MESSAGE_BYTES) });
      expect(await over.nextError()).toBe('TOO_LARGE');
      expect((await over.closed).code).toBe(1009);

      const far = await TestClient.connect(server.wsUrl('big'));
      far.send({ type: 'ping', pad: 'x'.repeat(MAX_MESSAGE_BYTES * 3) });
      expect((await far.closed).code).toBe(1009);
      expect(far.pending()).toEqual([]);

      // A registered peer sending too much is closed the same way; its counterpart hears it left.
      const big = await TestClient.register(server, 'legit', 'worker');
      await big.client.next();
      await master.next();
      big.client.send({ type: 'signal', to: masterId, data: 'y'.repeat(MAX_MESSAGE_BYTES) });
      expect(await big.client.nextError()).toBe('TOO_LARGE');
      expect(await master.next()).toEqual({ type: 'peer-left', peer: big.id });
      await pairStillWorks();
    });

    it('refuses data nested too deeply to relay, and relays nothing', async () => {
      const depth = 30_000;
      worker.send(`{"type":"signal","to":"${masterId}","data":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      expect(await worker.nextError()).toBe('BAD_MESSAGE');
      await pairStillWorks();
    });

    it('limits thousands of connections and joins from one address', async () => {
      const headers = { 'x-forwarded-for': '198.51.100.7, 10.9.9.9' };
      const flood = Array.from({ length: FLOOD_CONNECTIONS }, () => new TestClient(server.wsUrl('flood'), { headers }));
      const outcomes = await Promise.all(
        flood.map(async (client) => {
          try {
            await client.opened;
          } catch {
            return 'refused';
          }
          client.send({ type: 'register', role: 'worker' });
          const reply = await client.next().catch(() => undefined);
          return reply?.type === 'error' ? reply.code : (reply?.type ?? 'nothing');
        }),
      );
      const count = (what: string) => outcomes.filter((outcome) => outcome === what).length;
      expect(count('registered')).toBeLessThanOrEqual(MAX_PER_IP);
      expect(count('registered')).toBeGreaterThan(0);
      expect(count('RATE_LIMITED')).toBeGreaterThanOrEqual(FLOOD_CONNECTIONS - MAX_PER_IP);
      expect(count('registered') + count('RATE_LIMITED')).toBe(FLOOD_CONNECTIONS);
      await eventually(
        () => server.stats().connections <= MAX_PER_IP + setup.pairConnections,
        'refused connections to close',
      );
      expect(server.stats().workers).toBeLessThanOrEqual(MAX_PER_IP + 1);
      await pairStillWorks();
      await Promise.all(flood.map((client) => client.close()));
      await eventually(() => server.stats().connections === setup.pairConnections, 'flood connections to close');
      await pairStillWorks();
    });

    it('drops a client that never reads (slow consumer) before it costs more than maxBufferedBytes', async () => {
      const sink = await TestClient.register(server, 'slow', 'master');
      const sender = await TestClient.register(server, 'slow', 'worker');
      await sender.client.next(); // master
      sink.client.ws.pause(); // stop reading: TCP backpressure, then the server's buffer grows
      const payload = 'z'.repeat(60 * 1024);
      let sent = 0;
      // Enough bytes to fill the kernel buffers of both ends many times over; stops as soon as the server gives up.
      while (sender.client.pending().length === 0 && sent < 3_000) {
        for (let i = 0; i < 20; i++) sender.client.send({ type: 'signal', to: sink.id, data: payload });
        sent += 20;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(await sender.client.next()).toEqual({ type: 'master-left', peer: sink.id });
      expect(server.stats().terminated.slow_consumer).toBe(1);
      sink.client.ws.terminate();
      await sender.client.close();
      await pairStillWorks();
    });

    it('closes sockets that never register after idleTimeoutMs', async () => {
      const idle = await TestClient.connect(server.wsUrl('idle'));
      expect(await idle.nextError()).toBe('NOT_REGISTERED');
      expect((await idle.closed).code).toBe(1008);
      expect(server.stats().terminated.idle).toBeGreaterThanOrEqual(1);
      await pairStillWorks();
    });
  });
}
