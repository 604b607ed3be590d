/**
 * Python values through a peerproc master, exactly: every value of
 * fixtures/values.py (floats, bytearray, datetime, Decimal, complex,
 * OrderedDict, range, Fraction, UUID, Path, namedtuples, the clients' own
 * classes...) put by one CPython client and got by another equals the
 * original with the same type; first through the master's own queue, then
 * through a JS worker over real WebRTC that takes each value and puts it on
 * unchanged. Values over a limit, classes the policy refuses and os.system
 * calls are answered with a RemoteError and the client's connection carries on.
 * Runs inside scripts/netns.sh (the JS worker's WebRTC link).
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BaseManager, silentLogger } from '../../node/index.js';
import { PythonManagerServer, servePython } from '../../node/python/index.js';
import { Empty } from '../../shared/errors.js';
import { PyByteArray, PyFloat, PyGlobal, PyOpaque, PyTuple, type PyValue } from '../../shared/python/values.js';
import { Queue } from '../../shared/queue/queue.js';
import type { SignalingServer } from '../../signaling/index.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';
import { FIXTURES, killAllPythons, type PythonExe, pythonExecutables, spawnPython } from './helpers.js';

const HOST = '127.0.0.1';
const VALUES = join(FIXTURES, 'values.py');
/** fixtures/values.py's VALUES. */
const COUNT = 49;
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  killAllPythons();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function run(py: PythonExe, port: number, args: string[]): Promise<string> {
  const child = spawnPython(py, VALUES, [HOST, String(port), 'abc', ...args]);
  const code = await child.exited;
  expect(code, `${child.stdout()}\n${child.stderr()}`).toBe(0);
  return child.stdout();
}

async function queueServer(options: { maxFrameBytes?: number; pythonGlobals?: string[] } = {}) {
  const queue = new Queue<PyValue>();
  const warnings: string[] = [];
  const server = new PythonManagerServer(new Map([['q', { callable: () => queue }]]), {
    authkey: 'abc',
    logger: { warn: (m) => warnings.push(m) },
    ...options,
  });
  const { port } = await server.listen(0, HOST);
  cleanups.push(() => server.close());
  return { server, queue, port, warnings };
}

describe.each(pythonExecutables())('CPython $version values through a peerproc master', (py) => {
  it('each value put by one client is got by another, equal and of the same type', async () => {
    const { port, queue, warnings } = await queueServer({ maxFrameBytes: 4 * 1024 * 1024 });
    const put = await run(py, port, ['put', 'q', 'limits', String(5 * 1024 * 1024)]);
    // Over a limit: a RemoteError naming it, and the same connection carries on with the next put.
    expect(put).toContain('refused big int: ok');
    expect(put).toContain('refused big item: ok');
    expect(put).toContain(`put ${COUNT} values`);
    expect(warnings.join('\n')).toMatch(/integer of 83049 bytes exceeds the 65536-byte limit/);
    expect(queue.qsize()).toBe(COUNT);
    const got = await run(py, port, ['get', 'q']);
    expect(got).toContain(`got ${COUNT} values, 0 different`);
    expect(queue.qsize()).toBe(0);
  });

  it('refuses a class of a module the policy does not allow, and an os.system call, keeping the connection; allows the module when told', async () => {
    const pwned = `/tmp/pwned-values-${process.pid}-${py.version}`;
    rmSync(pwned, { force: true });
    const strict = await queueServer();
    expect(await run(py, strict.port, ['put', 'q', 'foreign'])).toContain('refused foreign class: ok');
    expect(await run(py, strict.port, ['put', 'q', 'evil', pwned])).toContain('refused os.system: ok');
    expect(existsSync(pwned)).toBe(false);
    expect(strict.queue.qsize()).toBe(2 * COUNT);

    // With --python-globals valmod.*, an instance of valmod.Thing passes through (CPython's master would need to import it).
    const open = await queueServer({ pythonGlobals: ['valmod.*'] });
    await run(py, open.port, ['put', 'q', 'foreign-allowed']);
    const thing = (open.queue as unknown as { qsize(): number }).qsize();
    expect(thing).toBe(COUNT + 1);
    expect(await run(py, open.port, ['get', 'q', 'foreign-allowed'])).toContain(`got ${COUNT} values, 0 different`);
  });
});

describe('values through a JS worker over WebRTC', () => {
  let signaling: SignalingServer;
  beforeAll(async () => {
    signaling = await startTestSignaling();
  });
  afterAll(async () => {
    await signaling?.close();
  });

  interface Jobs {
    get_task_queue: Queue<PyValue>;
    get_result_queue: Queue<PyValue>;
  }

  it.each(pythonExecutables().map((py) => [py.version, py] as const))(
    'CPython %s: a JS worker takes each value and puts it on unchanged; the next CPython client gets it exactly',
    async (_version, py) => {
      const address = signaling.wsUrl(freshRoom('pyvalues'));
      const tasks = new Queue<PyValue>();
      const results = new Queue<PyValue>();
      const master = new BaseManager<Jobs>({ address, authkey: 'abc', logger: silentLogger });
      master.register('get_task_queue', () => tasks);
      master.register('get_result_queue', () => results);
      await master.start();
      cleanups.push(() => master.shutdown());
      const python = await servePython(master, { port: 0 });
      const port = python.address?.port as number;

      await run(py, port, ['put', 'get_task_queue']);
      expect(tasks.qsize()).toBe(COUNT);

      const worker = new BaseManager<Jobs>({ address, authkey: 'abc', logger: silentLogger, wait: 10 });
      worker.register('get_task_queue');
      worker.register('get_result_queue');
      await worker.connect();
      cleanups.push(() => worker.shutdown());
      const task = await worker.get_task_queue();
      const result = await worker.get_result_queue();
      const seen: PyValue[] = [];
      for (;;) {
        let value: PyValue;
        try {
          value = await task.get({ timeout: 1 });
        } catch (err) {
          if (err instanceof Empty) break;
          throw err;
        }
        seen.push(value);
        await result.put(value);
      }
      expect(seen).toHaveLength(COUNT);
      // What the JS worker saw: Python types as the documented wrappers.
      expect(seen[3]).toStrictEqual(new PyFloat(1));
      expect(seen[10]).toBeInstanceOf(PyByteArray);
      expect(seen[13]).toBeInstanceOf(PyTuple);
      expect(seen[15]).toBeInstanceOf(Map);
      expect(seen.find((v) => v instanceof PyOpaque && v.qualname === 'decimal.Decimal')).toStrictEqual(
        new PyOpaque('decimal', 'Decimal', 'call', ['1.10']),
      );
      expect(seen.find((v) => v instanceof PyOpaque && v.qualname === '__main__.Point')).toMatchObject({ how: 'new' });
      expect(seen).toContainEqual(new PyGlobal('builtins', 'KeyError'));

      // The WebRTC codec sends each value as a tree: a list shared twice inside one value comes back as two equal lists.
      const got = await run(py, port, ['get', 'get_result_queue', 'tree']);
      expect(got).toContain(`got ${COUNT} values, 0 different`);
      expect(results.qsize()).toBe(0);
    },
  );
});
