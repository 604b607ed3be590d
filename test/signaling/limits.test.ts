import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { RATE_LIMIT_DROPS_BEFORE_CLOSE } from '../../signaling/connection.js';
import { IpLimiter, TokenBucket } from '../../signaling/rate-limit.js';
import type { SignalingServer } from '../../signaling/server.js';
import { startTestServer, TestClient } from './helpers.js';

const servers: SignalingServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function start(options: Parameters<typeof startTestServer>[0]) {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

describe('TokenBucket and IpLimiter', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now += 500; // one token at 2/s
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now += 10_000;
    expect(bucket.isFull()).toBe(true);
  });

  it('scales rate and burst by a factor (a master relays for every worker of its room)', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    bucket.scale(4);
    now += 1; // let the scaled burst fill
    let taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBeGreaterThanOrEqual(3);
    now += 1000; // 2/s x 4
    taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBe(8);
  });

  it('limits open connections and new-connection rate per address, and forgets idle addresses', () => {
    let now = 0;
    const limiter = new IpLimiter({ maxPerIp: 2, perSecond: 1, burst: 3 }, () => now);
    expect([limiter.acquire('a'), limiter.acquire('a'), limiter.acquire('a')]).toEqual(['ok', 'ok', 'too-many']);
    expect(limiter.acquire('b')).toBe('ok');
    limiter.release('a');
    expect(limiter.acquire('a')).toBe('too-fast'); // the burst of 3 is spent
    now += 1_000;
    expect(limiter.acquire('a')).toBe('ok');
    limiter.release('a');
    limiter.release('a');
    limiter.release('b');
    limiter.sweep();
    // 'b' has refilled and is forgotten; 'a' is kept until its bucket refills, so a reconnect loop gains nothing.
    expect(limiter.size).toBe(1);
    now += 10_000;
    limiter.sweep();
    expect(limiter.size).toBe(0);
  });
});

describe('per-connection rate limit', () => {
  it('answers the first message over the limit with RATE_LIMITED and drops the rest', async () => {
    const server = await start({ messagesPerSecond: 1, messageBurst: 10 });
    const client = await TestClient.connect(server.wsUrl('rate'));
    await client.request({ type: 'register', role: 'worker' });
    for (let i = 0; i < 14; i++) client.send({ type: 'ping' });
    const replies = [];
    for (let i = 0; i < 10; i++) replies.push(await client.next());
    // The register took one token: nine pongs, then one RATE_LIMITED for the four dropped pings.
    expect(replies.filter((reply) => reply.type === 'pong').length).toBe(9);
    expect(replies[9]).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    expect(server.stats().rejected.RATE_LIMITED).toBe(1);
    await client.close();
  });

  it("grows a master's budget with the workers in its room", async () => {
    const server = await start({ messagesPerSecond: 1, messageBurst: 5 });
    const master = await TestClient.connect(server.wsUrl('busy'));
    await master.request({ type: 'register', role: 'master' });
    const workers = [];
    for (let i = 0; i < 4; i++) {
      const worker = await TestClient.connect(server.wsUrl('busy'));
      await worker.request({ type: 'register', role: 'worker' });
      workers.push(worker);
    }
    // About 4 tokens are left after the burst; in 1.1 s an unscaled bucket adds 1.1 (5 pings would
    // fail), the master's bucket, scaled by 1 + 4 workers, adds 5.5.
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 0; i < 8; i++) master.send({ type: 'ping' });
    const replies = [];
    for (;;) {
      const reply = await master.next();
      if (reply.type === 'pong') replies.push(reply);
      if (replies.length === 8) break;
      expect(reply.type).not.toBe('error');
    }
    expect(server.stats().rejected.RATE_LIMITED ?? 0).toBe(0);
    for (const c of [master, ...workers]) await c.close();
  });

  it('closes a connection that keeps sending while limited', async () => {
    const server = await start({ messagesPerSecond: 1, messageBurst: 5 });
    const client = await TestClient.connect(server.wsUrl('rate'));
    for (let i = 0; i < 5 + RATE_LIMIT_DROPS_BEFORE_CLOSE + 10; i++) client.send({ type: 'ping' });
    const closed = await client.closed;
    expect(closed).toEqual({ code: 1013, reason: 'RATE_LIMITED' });
    expect(server.stats().rejected.RATE_LIMITED).toBe(2);
  });

  it('answers WebSocket pings under the same limit', async () => {
    const server = await start({ messagesPerSecond: 1, messageBurst: 3 });
    const client = await TestClient.connect(server.wsUrl('rate'));
    let pongs = 0;
    client.ws.on('pong', () => {
      pongs += 1;
    });
    for (let i = 0; i < 5; i++) client.ws.ping();
    expect(await client.nextError()).toBe('RATE_LIMITED');
    await expect.poll(() => pongs).toBe(3);
    await client.close();
  });
});

describe('heartbeat', () => {
  it('terminates a client that stops answering pings, keeps one that answers', async () => {
    const server = await start({ heartbeatIntervalMs: 50 });
    const deaf = await TestClient.connect(server.wsUrl('hb'), { autoPong: false });
    await deaf.request({ type: 'register', role: 'worker' });
    const alive = await TestClient.connect(server.wsUrl('hb'));
    await alive.request({ type: 'register', role: 'master' });
    let pings = 0;
    alive.ws.on('ping', () => {
      pings += 1;
    });
    expect((await deaf.closed).code).toBe(1006); // destroyed, no close frame
    await expect.poll(() => pings, { timeout: 5_000 }).toBeGreaterThanOrEqual(4);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    expect(server.stats().terminated.heartbeat).toBe(1);
    await alive.close();
  });
});

describe('global connection cap', () => {
  it('answers upgrades with 503 once maxConnections sockets are open', async () => {
    const server = await start({ maxConnections: 2 });
    const first = await TestClient.connect(server.wsUrl('cap'));
    const second = await TestClient.connect(server.wsUrl('cap'));
    const third = new TestClient(server.wsUrl('cap'));
    await expect(third.opened).rejects.toThrow(/503/);
    expect(server.stats().upgradesRefused).toBe(1);
    await first.close();
    await second.close();
  });
});
