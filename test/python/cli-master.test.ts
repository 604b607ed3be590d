/**
 * `peerproc master --python-listen`: unmodified CPython workers
 * (fixtures/task_worker.py) beside WebRTC workers, against the real CLI
 * (dist/bundle/cli.js). Runs inside scripts/netns.sh (WebRTC peers).
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../../signaling/index.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';
import { type CliRun, checkMasterTranscript, killAllCli, peerproc, tasksRun } from './cli-run.js';
import { defaultPython, FIXTURES, killAllPythons, type PythonExe, pythonExecutables, spawnPython } from './helpers.js';

const HOST = '127.0.0.1';
const KEY = { PEERPROC_AUTHKEY: 'abc' };
let signaling: SignalingServer;

beforeAll(async () => {
  signaling = await startTestSignaling();
});

afterAll(async () => {
  await signaling?.close();
});

afterEach(() => {
  killAllCli();
  killAllPythons();
});

/** A master CLI serving Python workers on a free port; resolves once it listens there. */
async function startMaster(room: string, args: string[]): Promise<{ master: CliRun; port: string }> {
  const master = peerproc(['master', '--address', signaling.wsUrl(room), '--python-listen', `${HOST}:0`, ...args], KEY);
  const [, port] = await master.line(/^serving Python workers on 127\.0\.0\.1:(\d+)$/, 'stderr');
  return { master, port: port as string };
}

describe.each(pythonExecutables())(
  'CPython $version task_worker.py against `peerproc master --python-listen`',
  (py) => {
    it('works beside a WebRTC worker from the same queues: every result once, both did work', async () => {
      const room = freshRoom('pylisten');
      const tasks = 300;
      const { master, port } = await startMaster(room, [
        '--tasks',
        String(tasks),
        '--min-workers',
        '1',
        '--timeout',
        '20',
      ]);
      // The WebRTC worker is slowed down (10 ms a task) so that the Python worker, joining later, finds work.
      const webrtc = peerproc(['worker', '--address', signaling.wsUrl(room), '--work', '0.01'], KEY);
      await master.line(/^Try get results\.\.\.$/);
      const python = spawnPython(py, join(FIXTURES, 'task_worker.py'), [HOST, port, 'abc']);

      expect(await master.exited, master.output()).toBe(0);
      const { tasks: put } = checkMasterTranscript(master.stdout);
      expect(put).toHaveLength(tasks);
      // The Python worker ends on queue.Empty, also when the master shuts down under its get.
      expect(await python.exited, python.stderr()).toBe(0);
      expect(python.stdout()).toMatch(/^Connect to server 127\.0\.0\.1\.\.\.\n/);
      expect(python.stdout()).toMatch(/task queue is empty\.\nworker exit\.\n$/);
      expect(await webrtc.exited, webrtc.output()).toBe(0);

      const byPython = tasksRun(python.stdout());
      const byWebrtc = tasksRun(webrtc.stdout);
      expect(byPython.length).toBeGreaterThan(0);
      expect(byWebrtc.length).toBeGreaterThan(0);
      // No worker died: each task was run exactly once, by one of them.
      expect([...byPython, ...byWebrtc].sort()).toEqual([...put].sort());
      expect(master.stderr.join('\n')).toMatch(/python worker 127\.0\.0\.1:\d+ \(MainProcess\) connected/);
    });
  },
);

describe('a Python worker killed holding a task', () => {
  const py: PythonExe = pythonExecutables().at(-1) as PythonExe;

  it(`(CPython ${py.version}) its task is redelivered; the master gets every result exactly once`, async () => {
    const tasks = 20;
    const { master, port } = await startMaster(freshRoom('pykill'), ['--tasks', String(tasks), '--timeout', '20']);
    await master.line(/^Try get results\.\.\.$/);
    const taker = spawnPython(py, join(FIXTURES, 'take_and_hang.py'), [HOST, port, 'abc']);
    const [, held] = await taker.line(/got task (\d+)/);
    process.kill(-(taker.child.pid as number), 'SIGKILL');
    // The master sees the connection end and puts the unacknowledged task back at the head of the queue.
    await master.line(/python worker 127\.0\.0\.1:\d+ \(MainProcess\) left holding 1 unacknowledged item/, 'stderr');

    const worker = spawnPython(py, join(FIXTURES, 'task_worker.py'), [HOST, port, 'abc']);
    expect(await master.exited, master.output()).toBe(0);
    const { tasks: put } = checkMasterTranscript(master.stdout);
    expect(await worker.exited, worker.stderr()).toBe(0);
    // The redelivered task came first, and the second worker ran every task once.
    expect(tasksRun(worker.stdout())[0]).toBe(Number(held));
    expect(tasksRun(worker.stdout()).sort()).toEqual([...put].sort());
    expect(master.stdout.filter((l) => l === `Result: ${held} * ${held} = ${Number(held) ** 2}`)).toHaveLength(1);
  });
});

describe('wrong authkey, Python worker side', () => {
  it('the Python worker fails with its own AuthenticationError; the master logs one line and keeps serving', async () => {
    const { master, port } = await startMaster(freshRoom('pykey'), ['--tasks', '3', '--timeout', '30']);
    await master.line(/^Try get results\.\.\.$/);
    const py = defaultPython();
    const wrong = spawnPython(py, join(FIXTURES, 'task_worker.py'), [HOST, port, 'not-abc']);
    expect(await wrong.exited).not.toBe(0);
    expect(wrong.stderr()).toMatch(/multiprocessing\.context\.AuthenticationError: digest sent was rejected/);
    await master.line(/refused connection from 127\.0\.0\.1:\d+: AuthenticationError/, 'stderr');
    // The right key still works on the same listener.
    const right = spawnPython(py, join(FIXTURES, 'task_worker.py'), [HOST, port, 'abc']);
    expect(await master.exited, master.output()).toBe(0);
    expect(checkMasterTranscript(master.stdout).tasks).toHaveLength(3);
    expect(await right.exited, right.stderr()).toBe(0);
  });
});
