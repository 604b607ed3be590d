/**
 * `peerproc worker --python-master`: our CLI worker serving CPython's classic
 * task_master.py (fixtures/task_master_n.py), on every CPython present; and
 * a wrong authkey refused with a clear error by the worker and the bridge.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllCli, peerproc, tasksRun } from './cli-run.js';
import { defaultPython, FIXTURES, killAllPythons, type PythonExe, pythonExecutables, spawnPython } from './helpers.js';

const HOST = '127.0.0.1';

afterEach(() => {
  killAllCli();
  killAllPythons();
});

/** The classic master on a free port: `count` tasks, `timeout` seconds per result. */
async function startPythonMaster(py: PythonExe, count = 10, timeout = 10) {
  const master = spawnPython(py, join(FIXTURES, 'task_master_n.py'), [
    HOST,
    '0',
    'abc',
    String(count),
    String(timeout),
  ]);
  const [, port] = await master.line(/Master listening on 127\.0\.0\.1:(\d+)/);
  return { master, port: port as string };
}

describe.each(pythonExecutables())(
  '`peerproc worker --python-master` against CPython $version task_master.py',
  (py) => {
    it('takes every task and returns its square; the Python master prints them all and exits 0', async () => {
      const { master, port } = await startPythonMaster(py);
      const worker = peerproc(['worker', '--python-master', `${HOST}:${port}`], { PEERPROC_AUTHKEY: 'abc' });

      expect(await worker.exited, worker.output()).toBe(0);
      expect(await master.exited, master.stderr()).toBe(0);
      const out = master.stdout();
      const put = [...out.matchAll(/Put task (\d+)\.\.\./g)].map((m) => Number(m[1]));
      const results = [...out.matchAll(/Result: (.*)/g)].map((m) => m[1]);
      expect(put).toHaveLength(10);
      expect(results).toEqual(put.map((n) => `${n} * ${n} = ${n * n}`));
      expect(out).toMatch(/master exit\.\n$/);
      // The same transcript as the WebRTC worker's.
      expect(worker.stdout[0]).toBe(`Connect to server ${HOST}:${port}...`);
      expect(tasksRun(worker.stdout)).toEqual(put);
      expect(worker.stdout.at(-1)).toBe('worker exit.');
    });
  },
);

describe('wrong authkey, our side', () => {
  it('`peerproc worker --python-master` reports the rejected authkey and exits 1', async () => {
    const { master, port } = await startPythonMaster(defaultPython(), 1, 30);
    const worker = peerproc(['worker', '--python-master', `${HOST}:${port}`], { PEERPROC_AUTHKEY: 'not-abc' });
    expect(await worker.exited, worker.output()).toBe(1);
    expect(worker.stderr.join('\n')).toContain(
      `peerproc worker: the Python master at ${HOST}:${port} rejected the authkey (digest sent was rejected)`,
    );
    expect(tasksRun(worker.stdout)).toEqual([]);
    // The Python master is unharmed.
    expect(master.child.exitCode).toBeNull();
  });

  it('`peerproc bridge` reports the rejected authkey and exits 1', async () => {
    const { master, port } = await startPythonMaster(defaultPython(), 1, 30);
    const bridge = peerproc(['bridge', '--python-master', `${HOST}:${port}`, '--address', 'ws://127.0.0.1:9/unused'], {
      PEERPROC_AUTHKEY: 'not-abc',
    });
    expect(await bridge.exited, bridge.output()).toBe(1);
    expect(bridge.stderr.join('\n')).toContain(
      `peerproc bridge: the Python master at ${HOST}:${port} rejected the authkey (digest sent was rejected)`,
    );
    expect(master.child.exitCode).toBeNull();
  });

  it('a Python worker with the wrong key is refused by CPython the same way (reference)', async () => {
    const { port } = await startPythonMaster(defaultPython(), 1, 30);
    const wrong = spawnPython(defaultPython(), join(FIXTURES, 'task_worker.py'), [HOST, port, 'not-abc']);
    expect(await wrong.exited).not.toBe(0);
    expect(wrong.stderr()).toMatch(/AuthenticationError: digest sent was rejected/);
  });
});
