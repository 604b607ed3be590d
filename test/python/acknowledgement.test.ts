/**
 * Leases that fit CPython's one-connection-per-thread (node/python/
 * acknowledgement.ts), with real CPython clients: a thread-pool worker whose
 * results go out from other threads, and a read-only consumer, both ending
 * normally, have nothing redelivered; a worker killed holding a task still
 * has it redelivered; with `ack: 'get'` (CPython's consume-on-get) nothing is.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PythonAck } from '../../node/python/acknowledgement.js';
import { type PythonConnectionInfo, PythonManagerServer } from '../../node/python/index.js';
import type { PyValue } from '../../node/python/pickle/index.js';
import { Queue } from '../../shared/queue/queue.js';
import { FIXTURES, killAllPythons, type PythonExe, pythonExecutables, spawnPython } from './helpers.js';

const HOST = '127.0.0.1';
const servers: PythonManagerServer[] = [];

afterEach(async () => {
  killAllPythons();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function master(ack?: PythonAck) {
  const tasks = new Queue<PyValue>();
  const results = new Queue<PyValue>();
  const server = new PythonManagerServer(
    new Map([
      ['get_task_queue', { callable: () => tasks }],
      ['get_result_queue', { callable: () => results }],
    ]),
    { authkey: 'abc', ack, logger: { warn: () => {} } },
  );
  servers.push(server);
  const released: number[] = [];
  const acknowledged: number[] = [];
  server.on('leasesReleased', (_info: PythonConnectionInfo, count: number) => released.push(count));
  server.on('leasesAcknowledged', (_ident: string, count: number) => acknowledged.push(count));
  const { port } = await server.listen(0, HOST);
  return { server, tasks, results, port, released, acknowledged };
}

/** Resolves once every connection the Python process opened is closed on our side. */
async function drained(server: PythonManagerServer): Promise<void> {
  while (server.connectionCount > 0) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function finish(py: PythonExe, script: string, args: string[]): Promise<string> {
  const child = spawnPython(py, join(FIXTURES, script), args);
  expect(await child.exited, child.stderr()).toBe(0);
  return child.stdout();
}

describe.each(pythonExecutables())('CPython $version', (py) => {
  it('a thread-pool worker (get in the main thread, put from pool threads) has nothing redelivered', async () => {
    const { server, tasks, results, port, released, acknowledged } = await master();
    const numbers = Array.from({ length: 40 }, (_, i) => i + 1);
    for (const n of numbers) await tasks.put(n);
    const out = await finish(py, 'pool_worker.py', [HOST, String(port), 'abc']);
    expect(out).toContain('worker exit after 40 tasks.');
    await drained(server);
    expect(results.qsize()).toBe(40);
    expect(tasks.qsize()).toBe(0);
    expect(tasks.redeliveries).toBe(0);
    expect(released).toEqual([]);
    // The leases its main thread held were acknowledged when its task proxy was released at exit.
    expect(acknowledged.reduce((a, b) => a + b, 0)).toBe(40);
  });

  it('a read-only consumer that exits normally has nothing it consumed come back', async () => {
    const { server, results, port, released } = await master();
    for (let i = 0; i < 5; i++) await results.put(`result ${i}`);
    const out = await finish(py, 'consumer.py', [HOST, String(port), 'abc', 'get_result_queue', '5']);
    expect(out).toContain('consumer exit.');
    await drained(server);
    expect(results.qsize()).toBe(0);
    expect(results.redeliveries).toBe(0);
    expect(released).toEqual([]);
  });

  it('a worker killed holding a task still has it redelivered', async () => {
    const { server, tasks, port, released } = await master();
    await tasks.put(7);
    await tasks.put(8);
    const taker = spawnPython(py, join(FIXTURES, 'take_and_hang.py'), [HOST, String(port), 'abc']);
    await taker.line(/got task 7/);
    process.kill(-(taker.child.pid as number), 'SIGKILL');
    await taker.exited;
    await drained(server);
    expect(released).toEqual([1]);
    expect(await tasks.get({ timeout: 0 })).toBe(7);
  });

  it("with ack 'get' (CPython's consume-on-get), a killed worker's task is gone, as with a CPython master", async () => {
    const { server, tasks, port, released } = await master('get');
    await tasks.put(7);
    await tasks.put(8);
    const taker = spawnPython(py, join(FIXTURES, 'take_and_hang.py'), [HOST, String(port), 'abc']);
    await taker.line(/got task 7/);
    process.kill(-(taker.child.pid as number), 'SIGKILL');
    await taker.exited;
    await drained(server);
    expect(released).toEqual([]);
    expect(tasks.redeliveries).toBe(0);
    expect(await tasks.get({ timeout: 0 })).toBe(8);
  });
});
