import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../../signaling/server.js';
import { startTestServer, TestClient } from './helpers.js';

const SECRET = 'top-secret-outside-the-static-dir';

/** A raw HTTP request: the path is sent exactly as given (fetch would normalise `..`). */
function get(server: SignalingServer, path: string, method = 'GET') {
  return new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('/healthz and /metrics', () => {
  let server: SignalingServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('GET /healthz is 200 ok; other paths are 404 without a static folder', async () => {
    const health = await get(server, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    expect((await get(server, '/worker')).status).toBe(404);
    expect((await get(server, '/healthz', 'DELETE')).status).toBe(405);
  });

  it('GET /metrics reports the activity in Prometheus text format', async () => {
    const master = await TestClient.register(server, 'm', 'master');
    const w1 = await TestClient.register(server, 'm', 'worker');
    const w2 = await TestClient.register(server, 'm', 'worker');
    for (const joined of [master, master, w1, w2]) await joined.client.next(); // peer x2, master x2
    for (let i = 0; i < 3; i++) {
      w1.client.send({ type: 'signal', to: master.id, data: i });
      await master.client.next();
    }
    w2.client.send('not json');
    await w2.client.nextError();
    w2.client.send({ type: 'nope' });
    await w2.client.nextError();

    const metrics = await get(server, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = metrics.body.trimEnd().split('\n');
    for (const line of lines) {
      expect(line).toMatch(/^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{reason="[A-Za-z_]+"\})? -?[0-9.e+-]+)$/);
    }
    const value = (series: string) => {
      const line = lines.find((candidate) => candidate.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('peerproc_signaling_connections')).toBe(3);
    expect(value('peerproc_signaling_rooms')).toBe(1);
    expect(value('peerproc_signaling_masters')).toBe(1);
    expect(value('peerproc_signaling_workers')).toBe(2);
    expect(value('peerproc_signaling_pairings_total')).toBe(2);
    expect(value('peerproc_signaling_messages_relayed_total')).toBe(3);
    expect(value('peerproc_signaling_messages_received_total')).toBe(8);
    expect(value('peerproc_signaling_connections_accepted_total')).toBe(3);
    expect(value('peerproc_signaling_messages_rejected_total{reason="BAD_MESSAGE"}')).toBe(1);
    expect(value('peerproc_signaling_messages_rejected_total{reason="UNKNOWN_TYPE"}')).toBe(1);
    expect(value('peerproc_signaling_messages_rejected_total{reason="TOO_LARGE"}')).toBe(0);
    expect(value('peerproc_signaling_connections_terminated_total{reason="heartbeat"}')).toBe(0);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(value('peerproc_signaling_uptime_seconds')).toBeGreaterThan(0);
    await Promise.all([master, w1, w2].map(({ client }) => client.close()));
  });
});

describe('static pages', () => {
  let dir: string;
  let server: SignalingServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerproc-static-'));
    const pub = join(dir, 'public');
    await mkdir(join(pub, 'assets'), { recursive: true });
    await mkdir(join(pub, 'sub'));
    await writeFile(join(pub, 'worker.html'), '<title>worker</title>');
    await writeFile(join(pub, 'master.html'), '<title>master</title>');
    await writeFile(join(pub, 'assets', 'app-1234.js'), 'console.log(1)');
    await writeFile(join(pub, 'style.css'), 'body{}');
    await writeFile(join(pub, 'mod.wasm'), Buffer.from([0, 97, 115, 109]));
    await writeFile(join(pub, '.env'), SECRET);
    await writeFile(join(dir, 'secret.txt'), SECRET);
    await symlink(join(dir, 'secret.txt'), join(pub, 'link.txt'));
    server = await startTestServer({ staticDir: pub });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves /worker, /master and assets with their content types', async () => {
    expect(await get(server, '/worker')).toEqual({
      status: 200,
      type: 'text/html; charset=utf-8',
      body: '<title>worker</title>',
    });
    expect((await get(server, '/master')).body).toBe('<title>master</title>');
    expect((await get(server, '/worker.html')).status).toBe(200);
    expect((await get(server, '/assets/app-1234.js')).type).toBe('text/javascript; charset=utf-8');
    expect((await get(server, '/style.css')).type).toBe('text/css; charset=utf-8');
    expect((await get(server, '/mod.wasm')).type).toBe('application/wasm');
    const head = await get(server, '/worker', 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
    expect((await get(server, '/worker', 'POST')).status).toBe(405);
  });

  it('404s missing files, folders and the index when there is none', async () => {
    for (const path of ['/', '/nope.js', '/sub', '/sub/', '/assets']) {
      expect((await get(server, path)).status, path).toBe(404);
    }
  });

  it('never serves anything outside the folder', async () => {
    const attempts = [
      '/../secret.txt',
      '/../../../../etc/passwd',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/%00.js',
      '/link.txt',
      '/.env',
      '/%2eenv',
      '//etc/passwd',
      '/%E0%A4%A',
    ];
    for (const path of attempts) {
      const response = await get(server, path);
      expect([400, 404], path).toContain(response.status);
      expect(response.body).not.toContain(SECRET);
      expect(response.body).not.toContain('root:');
    }
  });
});
