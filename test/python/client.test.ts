/**
 * Our PythonManagerClient as the worker of CPython's classic task_master.py,
 * on every CPython present (3.11 challenges with legacy MD5, 3.12+ sha256).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PythonManagerClient } from '../../node/python/index.js';
import type { PyValue } from '../../node/python/pickle/index.js';
import { AuthenticationError, ConnectionClosedError, Empty, RemoteError } from '../../shared/errors.js';
import { FIXTURES, killAllPythons, pythonExecutables, spawnPython } from './helpers.js';

const HOST = '127.0.0.1';
const clients: PythonManagerClient[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  killAllPythons();
});

function startPythonMaster(py: Parameters<typeof spawnPython>[0]) {
  const master = spawnPython(py, join(FIXTURES, 'task_master.py'), [HOST, '0', 'abc']);
  const port = master.line(/Master listening on 127\.0\.0\.1:(\d+)/).then((m) => Number(m[1]));
  return { master, port };
}

describe.each(pythonExecutables())('PythonManagerClient against CPython $version task_master.py', (py) => {
  it('works through all tasks as the worker; the master prints every result and exits 0', async () => {
    const { master, port } = startPythonMaster(py);
    const client = new PythonManagerClient({ host: HOST, port: await port, authkey: 'abc' });
    clients.push(client);
    await client.connect();
    const task = await client.proxy('get_task_queue');
    const result = await client.proxy('get_result_queue');
    expect(task.exposed).toEqual(expect.arrayContaining(['get', 'put', 'get_nowait', 'put_nowait', 'qsize']));

    const done: number[] = [];
    for (;;) {
      let n: PyValue;
      try {
        n = await task.get({ timeout: 1 });
      } catch (err) {
        // The classic master shuts down right after its last result, so the last
        // get may see the connection close instead of queue.Empty (CPython's
        // own worker dies with EOFError there).
        if (err instanceof Empty || err instanceof ConnectionClosedError) break;
        throw err;
      }
      expect(typeof n).toBe('number');
      await result.put(`${n} * ${n} = ${(n as number) * (n as number)}`);
      done.push(n as number);
    }

    expect(await master.exited, master.stderr()).toBe(0);
    const out = master.stdout();
    const put = [...out.matchAll(/Put task (\d+)\.\.\./g)].map((m) => Number(m[1]));
    const printed = [...out.matchAll(/Result: (\d+) \* (\d+) = (\d+)/g)].map((m) => m.slice(1, 4).map(Number));
    expect(put).toHaveLength(10);
    expect(done).toEqual(put);
    expect(printed).toEqual(put.map((n) => [n, n, n * n]));
    expect(out).toMatch(/master exit\.\n$/);
  });

  it('raises our Empty for queue.Empty and RemoteError for other Python exceptions', async () => {
    const { port } = startPythonMaster(py);
    const client = new PythonManagerClient({ host: HOST, port: await port, authkey: 'abc' });
    clients.push(client);
    const result = await client.proxy('get_result_queue');
    await expect(result.get({ block: false })).rejects.toBeInstanceOf(Empty);
    await expect(result.getNowait()).rejects.toBeInstanceOf(Empty);
    // Python's own argument checking comes back as a TypeError...
    await expect(result.call('get', [true, 1, 2, 3])).rejects.toMatchObject({ name: 'TypeError' });
    // ...and an unknown typeid as the KeyError of CPython's server, from its traceback.
    const err = await client.proxy('no_such_typeid').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ name: 'KeyError' });
    await expect(result.call('no_such_method')).rejects.toMatchObject({ name: 'MethodNotExposedError' });
    expect(await result.qsize()).toBe(0);
    expect(await result.empty()).toBe(true);
  });

  it('rejects with our AuthenticationError on a wrong authkey', async () => {
    const { port } = startPythonMaster(py);
    const client = new PythonManagerClient({ host: HOST, port: await port, authkey: 'wrong' });
    clients.push(client);
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toBe('digest sent was rejected');
  });
});
