/**
 * CPython's SyncManager types, served by `peerproc serve`: the same client
 * script (fixtures/sync_suite.py: dict/list operations, Namespace, Value,
 * Array, Lock/RLock/Semaphore/Condition/Event/Barrier across threads and
 * across two client processes, queues, error texts) runs against CPython's
 * own SyncManager server and against `peerproc serve --python-listen`, and
 * the two transcripts must be identical, but for the differences the docs
 * list (docs/python.md, "What still differs"). Then JS peers use the same
 * types over WebRTC through `peerproc serve --address` (TS SyncManager).
 * Runs inside scripts/netns.sh.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ShutDown, SyncManager } from '../../node/index.js';
import { silentLogger } from '../../shared/logger.js';
import { PyFloat, PyTuple } from '../../shared/python/values.js';
import type { SignalingServer } from '../../signaling/index.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';
import { killAllCli, peerproc } from './cli-run.js';
import { FIXTURES, killAllPythons, type PythonExe, pythonExecutables, spawnPython } from './helpers.js';

const HOST = '127.0.0.1';

afterEach(() => {
  killAllCli();
  killAllPythons();
});

async function suite(py: PythonExe, port: string): Promise<string[]> {
  const run = spawnPython(py, join(FIXTURES, 'sync_suite.py'), [HOST, port, 'abc']);
  expect(await run.exited, run.stderr()).toBe(0);
  return run.stdout().trimEnd().split('\n');
}

/**
 * Lines allowed to differ, by version, each for a reason docs/python.md gives:
 * a queue exposes 3.13's `shutdown` to every client (the wire does not say
 * which Python a client runs), and peerproc words argument errors as 3.11 and 3.12 do.
 */
function allowedDifferences(version: string): Record<string, RegExp> {
  if (version.startsWith('3.13')) {
    return {
      'lock negative timeout': /^lock negative timeout !! ValueError: timeout value must be positive$/,
      'queue bad keyword': /^queue bad keyword !! TypeError: Queue\.get\(\) got an unexpected keyword argument 'blok'$/,
    };
  }
  return { 'queue not exposed': /exposed=\{.*'shutdown'.*\} \/ KeyError: 'mutex'$/ };
}

describe.each(pythonExecutables())('CPython $version SyncManager client', (py) => {
  it('sees the same results from `peerproc serve` as from CPython’s own SyncManager server', async () => {
    const cpython = spawnPython(py, join(FIXTURES, 'cpython_sync_server.py'), ['abc']);
    const [, cpythonPort] = await cpython.line(/^(\d+)$/m);
    const serve = peerproc(['serve', '--python-listen', `${HOST}:0`], { PEERPROC_AUTHKEY: 'abc' });
    const [, ourPort] = await serve.line(/^serving Python clients on 127\.0\.0\.1:(\d+)$/, 'stderr');

    const theirs = await suite(py, cpythonPort as string);
    const ours = await suite(py, ourPort as string);
    expect(theirs.at(-1)).toBe('== done');
    expect(theirs.length).toBeGreaterThan(120);
    expect(ours).toHaveLength(theirs.length);
    const allowed = allowedDifferences(py.version);
    const differences = ours.flatMap((line, i) => {
      if (line === theirs[i]) return [];
      const label = Object.keys(allowed).find((l) => line.startsWith(`${l} `));
      if (label && (allowed[label] as RegExp).test(line)) return [];
      return [`ours:    ${line}\ncpython: ${theirs[i]}`];
    });
    expect(differences).toEqual([]);

    serve.child.kill('SIGTERM');
    expect(await serve.exited, serve.output()).toBe(0);
  });
});

describe('JS peers use the SyncManager types of `peerproc serve --address` over WebRTC', () => {
  let signaling: SignalingServer;
  beforeAll(async () => {
    signaling = await startTestSignaling();
  });
  afterAll(async () => {
    await signaling?.close();
  });

  it('typed proxies: dict, list, Namespace, Value, Array, Lock, RLock, Semaphore, Condition, Event, Barrier, Queue', async () => {
    const address = signaling.wsUrl(freshRoom('serve'));
    const serve = peerproc(['serve', '--address', address], { PEERPROC_AUTHKEY: 'abc' });
    await serve.line(/^serving SyncManager objects to peers on /, 'stderr');
    const connect = async () => {
      const m = new SyncManager({ address, authkey: 'abc', logger: silentLogger, wait: 10 });
      await m.connect();
      return m;
    };
    const [a, b] = await Promise.all([connect(), connect()]);
    try {
      const d = await a.dict(new Map([['x', 1]]));
      await d.set('k', [1, 2]);
      await d.set(new PyTuple([1, 2]), 'tuple key');
      expect(await d.get('k')).toEqual([1, 2]);
      expect(await d.get(new PyTuple([1, 2]))).toBe('tuple key');
      expect(await d.has('x')).toBe(true);
      expect(await d.keys()).toEqual(['x', 'k', new PyTuple([1, 2])]);
      await expect(d.pop('missing')).rejects.toMatchObject({ name: 'KeyError', message: "'missing'" });
      expect(await d.size()).toBe(3);

      const l = await a.list([3, 1, 2]);
      await l.append(new PyFloat(1));
      await l.sort();
      expect(await l.toArray()).toEqual([1, new PyFloat(1), 2, 3]);
      await expect(l.get(10)).rejects.toMatchObject({ name: 'IndexError', message: 'list index out of range' });

      const n = await a.Namespace({ x: 1 });
      await n.set('y', 'two');
      expect(await n.toObject()).toEqual({ x: 1, y: 'two' });
      const v = await a.Value('i', 5);
      await v.set(6);
      expect(await v.get()).toBe(6);
      const arr = await a.Array('d', [1, 2.5]);
      expect(await arr.toArray()).toEqual([new PyFloat(1), 2.5]);

      // A lock held by one peer blocks the other until released; an RLock re-enters for its holder only.
      const lock = await a.Lock();
      expect(await lock.acquire()).toBe(true);
      expect(await lock.acquire({ blocking: false })).toBe(false);
      await lock.release();
      const rlock = await a.RLock();
      expect(await rlock.acquire()).toBe(true);
      expect(await rlock.acquire()).toBe(true);
      await rlock.release();
      await rlock.release();
      await expect(rlock.release()).rejects.toMatchObject({ name: 'RuntimeError' });
      const sem = await a.Semaphore(1);
      expect(await sem.acquire()).toBe(true);
      expect(await sem.acquire({ timeout: 0.05 })).toBe(false);
      await sem.release();

      const event = await a.Event();
      const waited = event.wait({ timeout: 10 });
      await event.set();
      expect(await waited).toBe(true);
      const cond = await a.Condition();
      await cond.acquire();
      expect(await cond.wait({ timeout: 0.05 })).toBe(false);
      await cond.release();
      const barrier = await a.Barrier(2, null, 10);
      expect((await Promise.all([barrier.wait(), barrier.wait()])).sort()).toEqual([0, 1]);
      const q = await a.Queue();
      await q.put('item');
      expect(await q.get({ timeout: 5 })).toBe('item');
      await expect(q.get({ timeout: 0.05 })).rejects.toMatchObject({ name: 'Empty' });
      // Python 3.13's shutdown, through a JS proxy: puts fail, gets too once empty. (A bounded queue:
      // an unbounded one's proxy writes puts behind, so a refused put is reported on the next call.)
      const bounded = await a.Queue(10);
      await bounded.put('last');
      await bounded.shutdown();
      await expect(bounded.put('late')).rejects.toBeInstanceOf(ShutDown);
      expect(await bounded.get()).toBe('last');
      await expect(bounded.get()).rejects.toBeInstanceOf(ShutDown);

      // The second peer gets objects of its own (each create makes one, as in CPython).
      const other = await b.dict();
      expect(await other.size()).toBe(0);
    } finally {
      await Promise.all([a.shutdown(), b.shutdown()]);
    }
    serve.child.kill('SIGINT');
    expect(await serve.exited, serve.output()).toBe(0);
  });
});
