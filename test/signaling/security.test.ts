import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../../signaling/server.js';
import { clientIp, limitKey, redactUrl } from '../../signaling/upgrade-request.js';
import { memoryLogger, startTestServer, TestClient } from './helpers.js';

const TOKEN = 'tok_9f8e7d6c5b4a39281706';

const servers: SignalingServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function start(options: Parameters<typeof startTestServer>[0]) {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

async function refusedWith(url: string, options = {}): Promise<string> {
  const client = await TestClient.connect(url, options);
  const code = await client.nextError();
  expect((await client.closed).code).toBe(1008);
  return code;
}

describe('access token', () => {
  it('refuses missing or wrong tokens with UNAUTHORIZED, accepts the right one, and never logs it', async () => {
    const log = memoryLogger('debug');
    const server = await start({ accessToken: TOKEN, logger: log.logger });
    expect(await refusedWith(server.wsUrl('room'))).toBe('UNAUTHORIZED');
    expect(await refusedWith(`${server.wsUrl('room')}?token=wrong-guess-123`)).toBe('UNAUTHORIZED');
    expect(await refusedWith(server.wsUrl('room'), { headers: { Authorization: 'Bearer nope' } })).toBe('UNAUTHORIZED');
    // A misspelt parameter carrying the real token must not leak into the logs either.
    expect(await refusedWith(`${server.wsUrl('room')}?TOKEN=${TOKEN}`)).toBe('UNAUTHORIZED');

    const byQuery = await TestClient.connect(`${server.wsUrl('room')}?token=${TOKEN}&x=1`);
    expect((await byQuery.request({ type: 'register', role: 'master' })).type).toBe('registered');
    const byHeader = await TestClient.connect(server.wsUrl('room'), { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect((await byHeader.request({ type: 'register', role: 'worker' })).type).toBe('registered');
    await byQuery.close();
    await byHeader.close();
    await server.close();

    const text = log.text();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('wrong-guess-123');
    expect(text).toContain('token=REDACTED&x=1');
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.msg === 'connection opened')).toHaveLength(6);
    expect(lines.filter((line) => line.msg === 'connection closed')).toHaveLength(6);
    expect(lines.filter((line) => line.msg === 'registered')).toHaveLength(2);
    expect(lines.filter((line) => line.msg === 'rejected' && line.code === 'UNAUTHORIZED')).toHaveLength(4);
  });

  it('redacts secret-looking query parameters in logged URLs', () => {
    expect(redactUrl('/room?token=abc')).toBe('/room?token=REDACTED');
    expect(redactUrl('/room?%74oken=abc&a=b')).toBe('/room?token=REDACTED&a=b');
    expect(redactUrl('/room?access_key=k&password=p')).toBe('/room?access_key=REDACTED&password=REDACTED');
    expect(redactUrl('/room')).toBe('/room');
    expect(redactUrl(`/${'a'.repeat(500)}`)).toHaveLength(203);
  });
});

describe('origin check', () => {
  it('refuses browsers from other origins, accepts listed ones and non-browser clients', async () => {
    const server = await start({ allowedOrigins: ['https://app.example.com'] });
    expect(await refusedWith(server.wsUrl('o'), { origin: 'https://evil.example.com' })).toBe('UNAUTHORIZED');
    for (const options of [{ origin: 'https://app.example.com' }, {}]) {
      const client = await TestClient.connect(server.wsUrl('o'), options);
      expect((await client.request({ type: 'register', role: 'worker' })).type).toBe('registered');
      await client.close();
    }
  });
});

describe('client address', () => {
  const fakeRequest = (remoteAddress: string, forwarded?: string) =>
    ({
      socket: { remoteAddress },
      headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    }) as unknown as IncomingMessage;

  it('uses X-Forwarded-For only with trustProxy, and only its last (proxy-written) entry', () => {
    expect(clientIp(fakeRequest('::ffff:127.0.0.1', '203.0.113.9'), false)).toBe('127.0.0.1');
    expect(clientIp(fakeRequest('127.0.0.1', '203.0.113.9'), true)).toBe('203.0.113.9');
    expect(clientIp(fakeRequest('127.0.0.1', 'spoofed, 203.0.113.9'), true)).toBe('203.0.113.9');
    expect(clientIp(fakeRequest('127.0.0.1', 'not-an-ip'), true)).toBe('127.0.0.1');
    expect(clientIp(fakeRequest('::1'), true)).toBe('::1');
  });

  it('counts IPv6 clients per /64 and IPv4 clients per address', () => {
    expect(limitKey('203.0.113.9')).toBe('203.0.113.9');
    expect(limitKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(limitKey('2001:0db8:0001:0002::9')).toBe('2001:db8:1:2::/64');
    expect(limitKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(limitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(limitKey('::1')).toBe('0:0:0:0::/64');
    expect(limitKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });

  it('applies per-address limits to the socket address unless trustProxy is set', async () => {
    for (const trustProxy of [false, true]) {
      const server = await start({ trustProxy, maxConnectionsPerIp: 2 });
      const codes = [];
      const clients = [];
      for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
        const client = await TestClient.connect(server.wsUrl('ip'), { headers: { 'x-forwarded-for': address } });
        clients.push(client);
        const reply = await client.request({ type: 'register', role: 'worker' });
        codes.push(reply.type === 'error' ? reply.code : reply.type);
      }
      expect(codes).toEqual(
        trustProxy ? ['registered', 'registered', 'registered'] : ['registered', 'registered', 'RATE_LIMITED'],
      );
      await Promise.all(clients.map((client) => client.close()));
    }
  });
});
