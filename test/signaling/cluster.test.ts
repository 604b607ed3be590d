/**
 * Several signaling nodes on one real redis-server form one service: rooms,
 * limits, pairing and relays span the nodes; a Redis that goes away makes
 * nodes drop their peers and refuse new ones, and they serve again once it is
 * back. Plain ws clients; the WebRTC runs through a cluster are in
 * test/cluster/.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ListenError, RedisUnavailableError } from '../../signaling/errors.js';
import type { SignalingServer } from '../../signaling/server.js';
import { freePort, type RedisServer, startRedis, stopAllRedis } from '../support/redis.js';
import { until } from '../support/until.js';
import { httpGet, metric, startNodes } from './cluster-helpers.js';
import { eventually, startTestServer, TestClient } from './helpers.js';

let redis: RedisServer;
const clients: TestClient[] = [];
const servers: SignalingServer[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(async () => {
  await stopAllRedis();
});

async function nodes(count: number, options: Parameters<typeof startNodes>[2] = {}) {
  const started = await startNodes(redis.url, count, options);
  servers.push(...started);
  return started;
}

async function join(server: SignalingServer, room: string, role: 'master' | 'worker', id?: string) {
  const joined = await TestClient.register(server, room, role, id);
  clients.push(joined.client);
  return joined;
}

/** Connects and registers, expecting a refusal; returns its code and the close code. */
async function refused(server: SignalingServer, room: string, role: 'master' | 'worker', id?: string) {
  const client = await TestClient.connect(server.wsUrl(room));
  clients.push(client);
  client.send({ type: 'register', role, ...(id ? { id } : {}) });
  const code = await client.nextError();
  return { code, close: (await client.closed).code };
}

let roomCounter = 0;
const freshRoom = () => `cluster-${process.pid}-${++roomCounter}`;

describe('rooms shared by three nodes', () => {
  it('pairs a master on A with workers on B and C and relays signals both ways between nodes', async () => {
    const [a, b, c] = (await nodes(3)) as [SignalingServer, SignalingServer, SignalingServer];
    const room = freshRoom();
    const early = await join(b, room, 'worker', 'early-worker-b');
    const master = await join(a, room, 'master', 'the-master-a');
    expect(await master.client.next()).toEqual({ type: 'peer', peer: 'early-worker-b' });
    expect(await early.client.next()).toEqual({ type: 'master', peer: 'the-master-a' });

    const late = await join(c, room, 'worker', 'late-worker-c');
    expect(await late.client.next()).toEqual({ type: 'master', peer: 'the-master-a' });
    expect(await master.client.next()).toEqual({ type: 'peer', peer: 'late-worker-c' });

    // Many signals in a row keep their order across nodes (an offer must precede its candidates).
    for (let i = 0; i < 20; i++) late.client.send({ type: 'signal', to: 'the-master-a', data: { i } });
    for (let i = 0; i < 20; i++) {
      expect(await master.client.next()).toEqual({ type: 'signal', from: 'late-worker-c', data: { i } });
    }
    master.client.send({ type: 'signal', to: 'early-worker-b', data: 'answer' });
    expect(await early.client.next()).toEqual({ type: 'signal', from: 'the-master-a', data: 'answer' });
    master.client.send({ type: 'signal', to: 'late-worker-c', data: 'answer' });
    expect(await late.client.next()).toEqual({ type: 'signal', from: 'the-master-a', data: 'answer' });

    // Never between two workers, nor to a peer that is not there, on any node.
    early.client.send({ type: 'signal', to: 'late-worker-c', data: 1 });
    expect(await early.client.nextError()).toBe('UNKNOWN_PEER');
    master.client.send({ type: 'signal', to: 'nobody-anywhere', data: 1 });
    expect(await master.client.nextError()).toBe('UNKNOWN_PEER');

    await late.client.close();
    expect(await master.client.next()).toEqual({ type: 'peer-left', peer: 'late-worker-c' });
    await master.client.close();
    expect(await early.client.next()).toEqual({ type: 'master-left', peer: 'the-master-a' });

    // A new master on yet another node meets the worker that stayed.
    const next = await join(c, room, 'master', 'next-master-c');
    expect(await next.client.next()).toEqual({ type: 'peer', peer: 'early-worker-b' });
    expect(await early.client.next()).toEqual({ type: 'master', peer: 'next-master-c' });

    const [sa, sb, sc] = [a.stats(), b.stats(), c.stats()];
    expect(sa.cluster?.messagesOut).toBeGreaterThan(0);
    expect(sa.cluster?.messagesIn).toBeGreaterThan(0);
    expect(sc.cluster?.messagesOut).toBeGreaterThan(0);
    expect(sb.workers + sc.masters).toBe(2);
    expect(sa.pairings + sb.pairings + sc.pairings).toBe(3);
  });

  it('allows one master per room across the cluster: a second one on any node gets ADDRESS_IN_USE', async () => {
    const [a, b, c] = (await nodes(3)) as [SignalingServer, SignalingServer, SignalingServer];
    const room = freshRoom();
    await join(a, room, 'master', 'first-master');
    expect(await refused(c, room, 'master')).toEqual({ code: 'ADDRESS_IN_USE', close: 1008 });
    expect(await refused(b, room, 'master', 'first-master')).toEqual({ code: 'ADDRESS_IN_USE', close: 1008 });
    expect(await refused(b, room, 'worker', 'first-master')).toEqual({ code: 'DUPLICATE_ID', close: 1008 });
    await join(b, room, 'worker', 'worker-on-b');
    expect(await refused(c, room, 'worker', 'worker-on-b')).toEqual({ code: 'DUPLICATE_ID', close: 1008 });
  });

  it('holds peers per room and rooms across the cluster, not per node', async () => {
    const [a, b, c] = (await nodes(3, { maxPeersPerRoom: 3, maxRooms: 2 })) as [
      SignalingServer,
      SignalingServer,
      SignalingServer,
    ];
    const room = freshRoom();
    await join(a, room, 'master');
    await join(b, room, 'worker');
    await join(c, room, 'worker');
    expect(await refused(a, room, 'worker')).toEqual({ code: 'ROOM_FULL', close: 1008 });
    await join(b, freshRoom(), 'worker');
    expect(await refused(c, freshRoom(), 'worker')).toEqual({ code: 'TOO_MANY_ROOMS', close: 1008 });
    // A room that exists still takes peers when the room count is at its limit.
    expect((await refused(c, room, 'worker')).code).toBe('ROOM_FULL');
  });

  it("grows a master's message budget with its room's workers on other nodes", async () => {
    const [a, b] = (await nodes(2, { messagesPerSecond: 1, messageBurst: 5, redisPresenceTtlMs: 1_000 })) as [
      SignalingServer,
      SignalingServer,
    ];
    const room = freshRoom();
    const master = await join(a, room, 'master');
    for (let i = 0; i < 4; i++) await join(b, room, 'worker');
    for (let i = 0; i < 4; i++) expect((await master.client.next()).type).toBe('peer');
    // As in limits.test.ts: 1.1 s refill the unscaled bucket by 1.1 tokens, the scaled one (1 + 4 workers) by 5.5.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    for (let i = 0; i < 8; i++) master.client.send({ type: 'ping' });
    for (let i = 0; i < 8; i++) expect(await master.client.next()).toEqual({ type: 'pong' });
    expect(a.stats().rejected.RATE_LIMITED).toBe(0);
  });

  it('frees a node’s rooms at once when it stops gracefully', async () => {
    const [a, b] = (await nodes(2)) as [SignalingServer, SignalingServer];
    const room = freshRoom();
    const worker = await join(b, room, 'worker', 'waiting-worker');
    const master = await join(a, room, 'master', 'leaving-master');
    await master.client.next();
    await worker.client.next();
    await a.close();
    expect(await worker.client.next()).toEqual({ type: 'master-left', peer: 'leaving-master' });
    const again = await join(b, room, 'master', 'leaving-master');
    expect(await again.client.next()).toEqual({ type: 'peer', peer: 'waiting-worker' });
  });

  it('reports Redis on /healthz and the cross-node counters on /metrics; a single process has neither', async () => {
    const [a, b] = (await nodes(2)) as [SignalingServer, SignalingServer];
    const health = await httpGet(a.url, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', redis: 'up', nodes: expect.any(Number) });
    const room = freshRoom();
    const master = await join(a, room, 'master');
    const worker = await join(b, room, 'worker');
    await master.client.next();
    await worker.client.next();
    worker.client.send({ type: 'signal', to: master.id, data: 'x' });
    await master.client.next();
    const body = (await httpGet(b.url, '/metrics')).body;
    expect(metric(body, 'peerproc_signaling_cluster_redis_up')).toBe(1);
    expect(metric(body, 'peerproc_signaling_cluster_nodes')).toBeGreaterThanOrEqual(2);
    expect(metric(body, 'peerproc_signaling_cluster_messages_out_total')).toBeGreaterThanOrEqual(2);
    expect(metric(body, 'peerproc_signaling_cluster_redis_errors_total')).toBe(0);
    expect(metric(body, 'peerproc_signaling_cluster_redis_latency_seconds')).toBeGreaterThan(0);
    expect(metric((await httpGet(a.url, '/metrics')).body, 'peerproc_signaling_cluster_messages_in_total')).toBe(2);

    const single = await startTestServer();
    servers.push(single);
    expect(JSON.parse((await httpGet(single.url, '/healthz')).body)).toEqual({ status: 'ok' });
    expect((await httpGet(single.url, '/metrics')).body).not.toContain('cluster_');
  });

  it('refuses a bad Redis URL with ConfigError and an unreachable Redis with RedisUnavailableError', async () => {
    await expect(startTestServer({ redis: 'http://127.0.0.1:6379' })).rejects.toBeInstanceOf(ConfigError);
    await expect(startTestServer({ redis: 'redis://user:hunter2@[bad' })).rejects.toThrow(/REDACTED/);
    await expect(startTestServer({ redisPresenceTtlMs: 10 })).rejects.toThrow(/redisPresenceTtlMs/);
    const nobody = await freePort();
    const error = await startTestServer({ redis: `redis://u:secret-pw@127.0.0.1:${nobody}` }).catch((err) => err);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(error.name).toBe('RedisUnavailableError');
    expect(error.message).toContain(`127.0.0.1:${nobody}`);
    expect(error.message).not.toContain('secret-pw');

    const locked = await startRedis(['--requirepass', 'the-right-one']);
    const refused = await startTestServer({ redis: `redis://:pw-not-this@127.0.0.1:${locked.port}` }).catch(
      (err) => err,
    );
    expect(refused).toBeInstanceOf(RedisUnavailableError);
    expect(refused.message).toMatch(/WRONGPASS/);
    expect(refused.message).not.toContain('pw-not-this');
    const node = await startTestServer({ redis: `redis://:the-right-one@127.0.0.1:${locked.port}` });
    servers.push(node);
    expect(node.stats().cluster?.redisUp).toBe(true);
  });

  it('lets go of Redis when it cannot serve: a busy port (ListenError) or a certificate that does not load (ConfigError)', async () => {
    const probe = new Redis(redis.url);
    const clientCount = async () => ((await probe.client('LIST')) as string).trim().split('\n').length;
    try {
      const alone = await clientCount();
      const [busy] = await nodes(1);
      const dir = await mkdtemp(joinPath(tmpdir(), 'peerproc-bad-tls-'));
      try {
        await writeFile(joinPath(dir, 'garbage.pem'), 'not a certificate');
        const garbage = joinPath(dir, 'garbage.pem');
        const attempts = [
          startTestServer({ redis: redis.url, port: busy?.port }),
          startTestServer({ redis: redis.url, tls: { certFile: garbage, keyFile: garbage } }),
        ];
        await expect(attempts[0]).rejects.toBeInstanceOf(ListenError);
        await expect(attempts[1]).rejects.toBeInstanceOf(ConfigError);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      await busy?.close();
      // Redis sees a client's QUIT a moment after it is sent.
      await until('the failed nodes to close their Redis connections', async () => (await clientCount()) === alone);
    } finally {
      probe.disconnect();
    }
  });
});

describe('messages from Redis', () => {
  it('drops malformed messages on a node’s channel and keeps serving', async () => {
    const [a, b] = (await nodes(2)) as [SignalingServer, SignalingServer];
    const room = freshRoom();
    const master = await join(a, room, 'master', 'victim-master');
    const worker = await join(b, room, 'worker', 'honest-worker');
    await master.client.next();
    await worker.client.next();
    const rogue = new Redis(redis.url);
    try {
      const channel = `peerproc:to:${a.stats().cluster?.node}`;
      for (const payload of [
        '',
        'no newlines at all',
        `${room}\nvictim-master`, // no text
        `${room}\nbad id!\n{"type":"pong"}`,
        `../..\nvictim-master\n{"type":"pong"}`,
        `${room}\nvictim-master\n${'x'.repeat(300_000)}`,
        `${room}\nnobody-here-at-all\n{"type":"pong"}`,
      ]) {
        await rogue.publish(channel, payload);
      }
    } finally {
      rogue.disconnect();
    }
    worker.client.send({ type: 'signal', to: 'victim-master', data: 'still here' });
    expect(await master.client.next()).toEqual({ type: 'signal', from: 'honest-worker', data: 'still here' });
    expect(master.client.pending()).toEqual([]);
  });
});

describe('presence', () => {
  it('a node whose presence expired is swept by the others, drops its peers and starts over', async () => {
    const [a, b] = (await nodes(2, { redisPresenceTtlMs: 1_000 })) as [SignalingServer, SignalingServer];
    const room = freshRoom();
    const master = await join(b, room, 'master', 'master-on-b');
    const worker = await join(a, room, 'worker', 'worker-on-a');
    await master.client.next();
    await worker.client.next();
    // As if B had stalled past its TTL: its presence is in the past.
    const rogue = new Redis(redis.url);
    try {
      await rogue.zadd('peerproc:nodes', 0, b.stats().cluster?.node as string);
    } finally {
      rogue.disconnect();
    }
    expect(await worker.client.next()).toEqual({ type: 'master-left', peer: 'master-on-b' });
    expect(await master.client.next()).toMatchObject({ type: 'error', code: 'UNAVAILABLE' });
    expect((await master.client.closed).code).toBe(1013);
    await eventually(() => b.stats().cluster?.redisUp === true, 'B to start over');
    expect(b.stats().cluster?.redisLost).toBe(1);
    const next = await join(b, room, 'master', 'master-on-b');
    expect(await next.client.next()).toEqual({ type: 'peer', peer: 'worker-on-a' });
    expect(await worker.client.next()).toEqual({ type: 'master', peer: 'master-on-b' });
    expect(worker.client.pending()).toEqual([]);
  });
});

describe('Redis going away', () => {
  it('drops registered peers with UNAVAILABLE, answers 503, and serves again once Redis is back', async () => {
    const [a, b] = (await nodes(2)) as [SignalingServer, SignalingServer];
    const room = freshRoom();
    const master = await join(a, room, 'master');
    const worker = await join(b, room, 'worker');
    await master.client.next();
    await worker.client.next();
    const unregistered = await TestClient.connect(a.wsUrl(room));
    clients.push(unregistered);

    await redis.kill();
    for (const peer of [master.client, worker.client]) {
      expect(await peer.next()).toMatchObject({ type: 'error', code: 'UNAVAILABLE' });
      expect((await peer.closed).code).toBe(1013);
    }
    const down = await httpGet(a.url, '/healthz');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({ status: 'unavailable', redis: 'down' });
    unregistered.send({ type: 'register', role: 'master' });
    expect(await unregistered.nextError()).toBe('UNAVAILABLE');

    await redis.restart();
    await eventually(() => a.stats().cluster?.redisUp === true && b.stats().cluster?.redisUp === true, 'nodes back');
    expect((await httpGet(b.url, '/healthz')).status).toBe(200);
    const again = await join(a, room, 'master');
    const newWorker = await join(b, room, 'worker');
    expect(await again.client.next()).toEqual({ type: 'peer', peer: newWorker.id });
    expect(await newWorker.client.next()).toEqual({ type: 'master', peer: again.id });
    expect(a.stats().cluster?.redisLost).toBe(1);
    expect(a.stats().cluster?.redisErrors).toBeGreaterThan(0);
  });
});
