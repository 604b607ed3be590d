import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ListenError } from '../../signaling/errors.js';
import { startTestServer, TestClient } from './helpers.js';

describe('graceful close', () => {
  it('tells every client SHUTTING_DOWN, closes them with 1001 and stops listening', async () => {
    const server = await startTestServer();
    const master = await TestClient.register(server, 'bye', 'master');
    const worker = await TestClient.register(server, 'bye', 'worker');
    const stranger = await TestClient.connect(server.wsUrl('bye'));
    await master.client.next();
    await worker.client.next();
    await server.close();
    for (const client of [master.client, worker.client, stranger]) {
      expect(await client.next()).toMatchObject({ type: 'error', code: 'SHUTTING_DOWN' });
      expect((await client.closed).code).toBe(1001);
    }
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    await server.close(); // idempotent
  });

  it('destroys clients that do not answer the close within shutdownTimeoutMs', async () => {
    const server = await startTestServer({ shutdownTimeoutMs: 100 });
    const stuck = await TestClient.register(server, 'stuck', 'worker');
    stuck.client.ws.pause(); // reads nothing, so never answers the close frame
    await server.close();
    expect(server.stats().connections).toBe(0);
    stuck.client.ws.terminate();
  });

  it('reports a busy port as ListenError and bad options as ConfigError', async () => {
    const server = await startTestServer();
    await expect(startTestServer({ port: server.port })).rejects.toBeInstanceOf(ListenError);
    await expect(startTestServer({ port: -1 })).rejects.toBeInstanceOf(ConfigError);
    await server.close();
  });
});

describe('TLS', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerproc-tls-'));
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves wss:// and https:// directly', async () => {
    const server = await startTestServer({ tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } });
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    expect(server.wsUrl('secure')).toBe(`wss://127.0.0.1:${server.port}/secure`);
    const master = await TestClient.connect(server.wsUrl('secure'), { rejectUnauthorized: false });
    const worker = await TestClient.connect(server.wsUrl('secure'), { rejectUnauthorized: false });
    const { id } = (await master.request({ type: 'register', role: 'master' })) as { id: string };
    await worker.request({ type: 'register', role: 'worker' });
    expect(await worker.next()).toEqual({ type: 'master', peer: id });
    await master.close();
    await worker.close();
    await server.close();
  });

  it('refuses unreadable or mismatched certificate files with ConfigError', async () => {
    await expect(
      startTestServer({ tls: { certFile: join(dir, 'missing.pem'), keyFile: join(dir, 'key.pem') } }),
    ).rejects.toThrow(/tls.certFile.*missing\.pem.*ENOENT/);
    await writeFile(join(dir, 'garbage.pem'), 'not a certificate');
    await expect(
      startTestServer({ tls: { certFile: join(dir, 'garbage.pem'), keyFile: join(dir, 'key.pem') } }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});
