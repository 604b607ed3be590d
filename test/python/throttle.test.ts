/**
 * Online guessing against the CPython-protocol listener (HMAC, as CPython
 * requires): a real CPython client tries wrong keys as fast as it can; after
 * PYTHON_GUESS_LIMITS.perPeer failures its address is refused before the
 * challenge, the log stays at two lines, and a CPython worker that proved the
 * key before the attack keeps working throughout.
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { PyValue } from '../../node/python/pickle/index.js';
import { PYTHON_GUESS_LIMITS, PythonManagerServer } from '../../node/python/server.js';
import { Queue } from '../../shared/queue/queue.js';
import type { Registry } from '../../shared/rpc/registry.js';
import { FIXTURES, killAllPythons, type PythonExe, pythonExecutables, spawnPython } from './helpers.js';

const HOST = '127.0.0.1';
const ATTEMPTS = 200;
let server: PythonManagerServer | undefined;

afterEach(async () => {
  killAllPythons();
  await server?.close();
});

it('throttles 200 rapid wrong-key handshakes while a proven CPython worker keeps working', async () => {
  const py = pythonExecutables()[0] as PythonExe;
  const tasks = new Queue<PyValue>();
  const results = new Queue<PyValue>();
  const registry: Registry = new Map([
    ['get_task_queue', { callable: () => tasks }],
    ['get_result_queue', { callable: () => results }],
  ]);
  const warnings: string[] = [];
  server = new PythonManagerServer(registry, { authkey: 'abc', logger: { warn: (m) => warnings.push(m) } });
  const { port } = await server.listen(0, HOST);

  // The proven worker: connected and working before the attack starts.
  await tasks.put(0);
  const worker = spawnPython(py, join(FIXTURES, 'task_worker.py'), [HOST, String(port), 'abc']);
  await worker.line(/run task 0 \* 0\.\.\./);
  // Keep it busy all through the attack (its get(timeout=1) would end it on an idle queue).
  let next = 1;
  const feeder = setInterval(() => void tasks.put(next++), 20);
  const guesser = spawnPython(py, join(FIXTURES, 'guess_keys.py'), [HOST, String(port), String(ATTEMPTS)]);
  expect(await guesser.exited, guesser.stderr()).toBe(0);
  clearInterval(feeder);
  const fed = next;

  const outcome = JSON.parse(guesser.stdout());
  expect(outcome).toEqual({
    rejected: PYTHON_GUESS_LIMITS.perPeer,
    refused: ATTEMPTS - PYTHON_GUESS_LIMITS.perPeer,
    accepted: 0,
  });
  // Every task fed during the attack was answered by the proven worker.
  for (let n = 0; n < fed; n++) expect(await results.get({ timeout: 10 })).toBe(`${n} * ${n} = ${n * n}`);
  expect(fed).toBeGreaterThan(1);
  expect(await worker.exited, worker.stderr()).toBe(0);

  await server.close();
  // One line for the first failure, one summary of the burst: not one per attempt.
  expect(warnings[0]).toMatch(
    /refused connection from 127\.0\.0\.1:\d+: AuthenticationError: digest received was wrong/,
  );
  expect(warnings.slice(1).filter((w) => !/burst over/.test(w))).toEqual([]);
  expect(warnings).toHaveLength(2);
  // The guesser's refusals, and the proven worker's own exit-time decref connections: same address, refused too.
  const summary = /(\d+) failed and (\d+) refused/.exec(warnings[1] ?? '');
  expect(Number(summary?.[1])).toBe(PYTHON_GUESS_LIMITS.perPeer);
  expect(Number(summary?.[2])).toBeGreaterThanOrEqual(ATTEMPTS - PYTHON_GUESS_LIMITS.perPeer);
});
