/**
 * Unmodified-style CPython workers (fixtures/task_worker.py) against our
 * PythonManagerServer serving two of our Queues, on every CPython present
 * (3.11 answers with legacy HMAC-MD5, 3.12+ with sha256).
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type PythonCallEvent, type PythonConnectionInfo, PythonManagerServer } from '../../node/python/index.js';
import type { PyValue } from '../../node/python/pickle/index.js';
import { Queue } from '../../shared/queue/queue.js';
import type { Registry } from '../../shared/rpc/registry.js';
import { FIXTURES, killAllPythons, type PythonExe, pythonExecutables, spawnPython } from './helpers.js';

const HOST = '127.0.0.1';
const servers: PythonManagerServer[] = [];

afterEach(async () => {
  killAllPythons();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Master {
  server: PythonManagerServer;
  port: number;
  tasks: Queue<PyValue>;
  results: Queue<PyValue>;
  warnings: string[];
  /** Resolves with the first line logged. */
  firstWarning: Promise<string>;
}

async function startMaster(options: { authkey?: string; challenge?: 'sha256' | 'legacy' } = {}): Promise<Master> {
  const tasks = new Queue<PyValue>();
  const results = new Queue<PyValue>();
  const registry: Registry = new Map([
    ['get_task_queue', { callable: () => tasks }],
    ['get_result_queue', { callable: () => results }],
  ]);
  const warnings: string[] = [];
  let warned: (message: string) => void = () => {};
  const firstWarning = new Promise<string>((resolve) => {
    warned = resolve;
  });
  const server = new PythonManagerServer(registry, {
    authkey: options.authkey ?? 'abc',
    challenge: options.challenge,
    logger: {
      warn: (message) => {
        warnings.push(message);
        warned(message);
      },
    },
  });
  servers.push(server);
  const { port } = await server.listen(0, HOST);
  return { server, port, tasks, results, warnings, firstWarning };
}

/** The test is the master: 10 tasks in, 10 results out, then the classic worker must exit after queue.Empty. */
async function runClassicWorker(py: PythonExe, master: Master): Promise<void> {
  const numbers = Array.from({ length: 10 }, () => Math.floor(Math.random() * 10_001));
  for (const n of numbers) await master.tasks.put(n);
  const worker = spawnPython(py, join(FIXTURES, 'task_worker.py'), [HOST, String(master.port), 'abc']);
  const results: PyValue[] = [];
  for (let i = 0; i < numbers.length; i++) results.push(await master.results.get());
  expect(results).toEqual(numbers.map((n) => `${n} * ${n} = ${n * n}`));
  expect(await worker.exited, worker.stderr()).toBe(0);
  expect(worker.stdout()).toMatch(/task queue is empty\.\nworker exit\.\n$/);
  for (const n of numbers) expect(worker.stdout()).toContain(`run task ${n} * ${n}...`);
}

describe.each(pythonExecutables())('CPython $version worker against PythonManagerServer', (py) => {
  it('runs the classic task_worker.py to "worker exit." after queue.Empty', async () => {
    const master = await startMaster();
    await runClassicWorker(py, master);
    expect(master.warnings).toEqual([]);
    // The worker's proxies released their references when it exited.
    expect(master.server.objectCount).toBe(0);
  });

  it("fails with Python's own AuthenticationError on a wrong authkey, and we log one line", async () => {
    const master = await startMaster({ authkey: 'abc' });
    const worker = spawnPython(py, join(FIXTURES, 'task_worker.py'), [HOST, String(master.port), 'wrong']);
    expect(await worker.exited).not.toBe(0);
    expect(worker.stderr()).toMatch(/AuthenticationError: digest sent was rejected/);
    // No traceback of ours reached Python: its error is the handshake's own. (The fixture's own frame names
    // its path, which holds the checkout's folder name: a clone into ./peerproc must not trip this.)
    expect(worker.stderr().replaceAll(FIXTURES, '<fixtures>')).not.toMatch(/RemoteError|peerproc|\.ts/);
    expect(await master.firstWarning).toMatch(
      /refused connection from 127\.0\.0\.1:\d+: AuthenticationError: digest received was wrong/,
    );
    expect(master.warnings).toHaveLength(1);
  });

  it('cancels the pending get of a worker killed while blocked, so the next task is not lost', async () => {
    const master = await startMaster();
    const blocked = spawnPython(py, join(FIXTURES, 'blocked_worker.py'), [HOST, String(master.port), 'abc']);
    const [call] = (await once(master.server, 'call')) as [PythonCallEvent];
    expect(call.method).toBe('get');
    const closed = new Promise<void>((resolve) => {
      master.server.on('connectionClose', (info: PythonConnectionInfo) => {
        if (info.id === call.connection.id) resolve();
      });
    });
    process.kill(-(blocked.child.pid as number), 'SIGKILL');
    await closed;
    await master.tasks.put(42);
    // CPython would have handed 42 to the dead socket; we keep it for a live worker.
    expect(master.tasks.qsize()).toBe(1);
    expect(await master.tasks.get({ block: false })).toBe(42);
  });
});

describe('large items', () => {
  it('carries a 20 MiB bytes item from CPython and back unchanged', async () => {
    const master = await startMaster();
    const size = 20 * 1024 * 1024;
    const script = spawnPython(pythonExecutables()[0] as PythonExe, join(FIXTURES, 'big_item.py'), [
      HOST,
      String(master.port),
      'abc',
      String(size),
    ]);
    expect(await script.exited, script.stderr()).toBe(0);
    expect(script.stdout()).toBe(`big item ok: ${size} bytes\n`);
    expect(master.warnings).toEqual([]);
  });
});

describe('challenge forms', () => {
  const newest = pythonExecutables().at(-1) as PythonExe;

  it(`serves a Python ${newest.version} worker with a legacy (3.11-style) challenge`, async () => {
    const master = await startMaster({ challenge: 'legacy' });
    await runClassicWorker(newest, master);
    expect(master.warnings).toEqual([]);
  });
});
