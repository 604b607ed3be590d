import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredMessage } from '../../shared/signaling/protocol.js';
import type { SignalingServer } from '../../signaling/server.js';
import { makeTurnCredentials } from '../../signaling/turn-credentials.js';
import { startTestServer, TestClient } from './helpers.js';

const SECRET = 'coturn-static-auth-secret';
const TTL = 600;

/** What coturn does with use-auth-secret: recompute the HMAC of the username. */
const expectedCredential = (username: string) => createHmac('sha1', SECRET).update(username).digest('base64');

describe('makeTurnCredentials', () => {
  it('follows the TURN REST API scheme', () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0, 500);
    const { username, credential, expiresAt } = makeTurnCredentials(SECRET, 'peer-1234', TTL, now);
    expect(expiresAt).toBe(Math.floor(now / 1000) + TTL);
    expect(username).toBe(`${expiresAt}:peer-1234`);
    expect(credential).toBe(expectedCredential(username));
    expect(Buffer.from(credential, 'base64')).toHaveLength(20); // SHA-1
  });
});

describe('TURN credentials in registered', () => {
  let server: SignalingServer;
  beforeAll(async () => {
    server = await startTestServer({
      iceServers: [{ urls: 'stun:stun.example.org:3478' }],
      turnSecret: SECRET,
      turnUrls: ['turn:turn.example.org:3478', 'turns:turn.example.org:5349'],
      turnTtlSeconds: TTL,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('gives each peer its own verifiable, expiring credentials', async () => {
    const before = Math.floor(Date.now() / 1000);
    const master = await TestClient.register(server, 't', 'master');
    const worker = await TestClient.register(server, 't', 'worker', 'worker-abcdef');
    const after = Math.floor(Date.now() / 1000);
    const turnOf = (registered: RegisteredMessage) => {
      expect(registered.iceServers[0]).toEqual({ urls: 'stun:stun.example.org:3478' });
      const turn = registered.iceServers[1];
      expect(turn?.urls).toEqual(['turn:turn.example.org:3478', 'turns:turn.example.org:5349']);
      return turn as { username: string; credential: string };
    };
    const mine = turnOf(master.registered as RegisteredMessage);
    const theirs = turnOf(worker.registered as RegisteredMessage);
    for (const [turn, id] of [
      [mine, master.id],
      [theirs, 'worker-abcdef'],
    ] as const) {
      const [expiry, peer] = turn.username.split(':');
      expect(peer).toBe(id);
      expect(Number(expiry)).toBeGreaterThanOrEqual(before + TTL);
      expect(Number(expiry)).toBeLessThanOrEqual(after + TTL);
      expect(turn.credential).toBe(expectedCredential(turn.username));
    }
    expect(mine.username).not.toBe(theirs.username);
    expect(mine.credential).not.toBe(theirs.credential);
    await master.client.close();
    await worker.client.close();
  });
});
