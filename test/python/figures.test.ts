/**
 * Figures for the closing note, from one run: a Python worker (the classic
 * loop, timed: fixtures/bench_worker.py) against a CPython master
 * (task_master_n.py) and against `peerproc master --python-listen`, same
 * interpreter, same 10,000 tasks. Printed and written to
 * test-artifacts/python/figures.json; only correctness is asserted.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../../signaling/index.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';
import { checkMasterTranscript, killAllCli, peerproc } from './cli-run.js';
import { FIXTURES, killAllPythons, type PythonExe, pythonExecutables, spawnPython } from './helpers.js';

const HOST = '127.0.0.1';
const TASKS = 10_000;
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/python');

interface BenchFigures {
  python: string;
  connect_ms: number;
  tasks: number;
  tasks_per_s: number;
}

const figures: Array<{ master: string } & BenchFigures> = [];
let signaling: SignalingServer;

beforeAll(async () => {
  signaling = await startTestSignaling();
});

afterEach(() => {
  killAllCli();
  killAllPythons();
});

afterAll(async () => {
  await signaling?.close();
  if (figures.length === 0) return;
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(join(ARTIFACTS, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(
    [
      'Python worker figures (classic loop, 10,000 tasks):',
      ...figures.map(
        (f) =>
          `  CPython ${f.python} worker vs ${f.master.padEnd(8)} connect ${String(f.connect_ms).padStart(6)} ms, ${f.tasks_per_s} tasks/s`,
      ),
    ].join('\n'),
  );
});

async function benchAgainst(py: PythonExe, port: string): Promise<BenchFigures> {
  const bench = spawnPython(py, join(FIXTURES, 'bench_worker.py'), [HOST, port, 'abc']);
  expect(await bench.exited, bench.stderr()).toBe(0);
  return JSON.parse(bench.stdout().trim()) as BenchFigures;
}

describe.each(pythonExecutables())('CPython $version worker: connect time and tasks/s', (py) => {
  it('against a CPython master', async () => {
    const master = spawnPython(py, join(FIXTURES, 'task_master_n.py'), [HOST, '0', 'abc', String(TASKS), '30']);
    const [, port] = await master.line(/Master listening on 127\.0\.0\.1:(\d+)/);
    await master.line(/Try get results\.\.\./);
    const result = await benchAgainst(py, port as string);
    expect(await master.exited, master.stderr()).toBe(0);
    expect(result.tasks).toBe(TASKS);
    figures.push({ master: 'CPython', ...result });
  });

  it('against `peerproc master --python-listen`', async () => {
    const master = peerproc(
      [
        'master',
        '--address',
        signaling.wsUrl(freshRoom('figures')),
        '--python-listen',
        `${HOST}:0`,
        '--tasks',
        String(TASKS),
        '--timeout',
        '30',
      ],
      { PEERPROC_AUTHKEY: 'abc' },
    );
    const [, port] = await master.line(/^serving Python workers on 127\.0\.0\.1:(\d+)$/, 'stderr');
    await master.line(/^Try get results\.\.\.$/);
    const result = await benchAgainst(py, port as string);
    expect(await master.exited, master.output()).toBe(0);
    expect(checkMasterTranscript(master.stdout).tasks).toHaveLength(TASKS);
    expect(result.tasks).toBe(TASKS);
    figures.push({ master: 'peerproc', ...result });
  });
});
