import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../../signaling/server.js';
import { startTestServer, TestClient } from './helpers.js';

let server: SignalingServer;
const clients: TestClient[] = [];

beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await server.close();
});

async function join(room: string, role: 'master' | 'worker', id?: string) {
  const joined = await TestClient.register(server, room, role, id);
  clients.push(joined.client);
  return joined;
}

describe('registration and pairing', () => {
  it('registers, pairs a master with two workers and relays signals both ways', async () => {
    const master = await join('lab', 'master');
    expect(master.registered).toEqual({
      type: 'registered',
      id: master.id,
      role: 'master',
      room: 'lab',
      iceServers: [],
    });

    const w1 = await join('lab', 'worker', 'worker-one');
    expect(w1.id).toBe('worker-one');
    expect(await w1.client.next()).toEqual({ type: 'master', peer: master.id });
    expect(await master.client.next()).toEqual({ type: 'peer', peer: 'worker-one' });

    const w2 = await join('lab', 'worker');
    expect(w2.id).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(await w2.client.next()).toEqual({ type: 'master', peer: master.id });
    expect(await master.client.next()).toEqual({ type: 'peer', peer: w2.id });

    const offer = { sdp: 'v=0\r\n...', type: 'offer', nested: { a: [1, null, true] } };
    w1.client.send({ type: 'signal', to: master.id, data: offer });
    expect(await master.client.next()).toEqual({ type: 'signal', from: 'worker-one', data: offer });

    master.client.send({ type: 'signal', to: w2.id, data: { candidate: 'x' } });
    expect(await w2.client.next()).toEqual({ type: 'signal', from: master.id, data: { candidate: 'x' } });

    // A worker cannot reach another worker, even in the same room.
    w1.client.send({ type: 'signal', to: w2.id, data: 1 });
    expect(await w1.client.nextError()).toBe('UNKNOWN_PEER');

    expect(await w1.client.request({ type: 'ping' })).toEqual({ type: 'pong' });
    const stats = server.stats();
    expect(stats).toMatchObject({ rooms: 1, masters: 1, workers: 2, pairings: 2, messagesRelayed: 2 });
  });

  it('refuses a second master with ADDRESS_IN_USE and closes it', async () => {
    await join('busy', 'master');
    const second = await TestClient.connect(server.wsUrl('busy'));
    second.send({ type: 'register', role: 'master' });
    expect(await second.nextError()).toBe('ADDRESS_IN_USE');
    expect((await second.closed).code).toBe(1008);
  });

  it('tells a worker that waited about the master when it comes', async () => {
    const worker = await join('later', 'worker');
    expect(worker.client.pending()).toEqual([]);
    const master = await join('later', 'master');
    expect(await master.client.next()).toEqual({ type: 'peer', peer: worker.id });
    expect(await worker.client.next()).toEqual({ type: 'master', peer: master.id });
  });

  it('sends master-left to workers when the master goes, and pairs them with the next master', async () => {
    const master = await join('r', 'master');
    const worker = await join('r', 'worker');
    await worker.client.next(); // master
    await master.client.next(); // peer
    await master.client.close();
    expect(await worker.client.next()).toEqual({ type: 'master-left', peer: master.id });
    expect(server.stats()).toMatchObject({ rooms: 1, masters: 0, workers: 1 });

    const next = await join('r', 'master');
    expect(await next.client.next()).toEqual({ type: 'peer', peer: worker.id });
    expect(await worker.client.next()).toEqual({ type: 'master', peer: next.id });
  });

  it('sends peer-left to the master when a worker goes, and deletes empty rooms', async () => {
    const master = await join('r2', 'master');
    const worker = await join('r2', 'worker');
    await master.client.next();
    await worker.client.close();
    expect(await master.client.next()).toEqual({ type: 'peer-left', peer: worker.id });
    await master.client.close();
    await expect.poll(() => server.stats().rooms).toBe(0);
  });

  it('refuses to relay to a peer of another room', async () => {
    const masterA = await join('a', 'master');
    const workerB = await join('b', 'worker');
    const masterB = await join('b', 'master');
    await masterB.client.next();
    await workerB.client.next();
    workerB.client.send({ type: 'signal', to: masterA.id, data: 'hello' });
    expect(await workerB.client.nextError()).toBe('UNKNOWN_PEER');
    masterA.client.send({ type: 'signal', to: workerB.id, data: 'hello' });
    expect(await masterA.client.nextError()).toBe('UNKNOWN_PEER');
    expect(masterA.client.pending()).toEqual([]);
    expect(server.stats().messagesRelayed).toBe(0);
  });

  it('refuses a duplicate id in a room but allows it in another room', async () => {
    await join('dup', 'worker', 'same-id-123');
    const other = await TestClient.connect(server.wsUrl('dup'));
    other.send({ type: 'register', role: 'master', id: 'same-id-123' });
    expect(await other.nextError()).toBe('DUPLICATE_ID');
    expect((await other.closed).code).toBe(1008);
    await join('dup2', 'worker', 'same-id-123');
  });

  it('enforces message order: NOT_REGISTERED before register, ALREADY_REGISTERED after', async () => {
    const client = await TestClient.connect(server.wsUrl('order'));
    clients.push(client);
    client.send({ type: 'ping' });
    expect(await client.nextError()).toBe('NOT_REGISTERED');
    client.send({ type: 'signal', to: 'someone-else', data: 1 });
    expect(await client.nextError()).toBe('NOT_REGISTERED');
    expect((await client.request({ type: 'register', role: 'worker' })).type).toBe('registered');
    client.send({ type: 'register', role: 'worker' });
    expect(await client.nextError()).toBe('ALREADY_REGISTERED');
    expect((await client.closed).code).toBe(1008);
  });

  it('closes connections to invalid rooms with BAD_ROOM', async () => {
    for (const path of ['', 'bad%20room', 'a//b', 'x'.repeat(129), '%E0%A4%A']) {
      const client = await TestClient.connect(`${server.wsUrl('')}${path}`);
      expect(await client.nextError()).toBe('BAD_ROOM');
      expect((await client.closed).code).toBe(1008);
    }
    // Nested rooms and a trailing slash are fine, as in parseAddress.
    const nested = await join('team/project-1/', 'worker');
    expect(nested.registered).toMatchObject({ room: 'team/project-1' });
  });
});

describe('capacity limits', () => {
  it('ROOM_FULL and TOO_MANY_ROOMS', async () => {
    await server.close();
    server = await startTestServer({ maxPeersPerRoom: 2, maxRooms: 2 });
    await join('one', 'master');
    await join('one', 'worker');
    const third = await TestClient.connect(server.wsUrl('one'));
    third.send({ type: 'register', role: 'worker' });
    expect(await third.nextError()).toBe('ROOM_FULL');
    await join('two', 'worker');
    const extra = await TestClient.connect(server.wsUrl('three'));
    extra.send({ type: 'register', role: 'worker' });
    expect(await extra.nextError()).toBe('TOO_MANY_ROOMS');
    expect(server.stats().rooms).toBe(2);
  });
});
