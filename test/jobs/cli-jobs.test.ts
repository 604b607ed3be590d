/**
 * `peerproc master --job` and `peerproc worker --job` as real processes over
 * real WebRTC, inside the network namespace:
 *
 *   scripts/netns.sh npx vitest run test/jobs/cli-jobs.test.ts
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignalProcess, startSignal } from '../support/cli-signal.js';
import { CLI, collected, jobMasterArgs, killAll, peerproc, type Run } from '../support/processes.js';
import { freshRoom } from '../support/signaling.js';
import { checkExactlyOnce, EXAMPLES, FIXTURES, primesBelow, readResults, tempDir, writeTasks } from './support.js';

const ENV = { PEERPROC_AUTHKEY: 'jobs-cli-key' };
const PRIMES = join(EXAMPLES, 'primes.mjs');

let signal: SignalProcess;
let work: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  work = await tempDir();
  signal = await startSignal();
});

afterAll(async () => {
  killAll();
  await signal?.stop();
  await work?.remove();
});

function address(room: string): string {
  return `${signal.base}/${room}`;
}

async function jobMaster(room: string, job: string, tasks: unknown[], extra: string[] = []) {
  const tasksFile = await writeTasks(join(work.dir, `${room}.jsonl`), tasks);
  const results = join(work.dir, `${room}.results.jsonl`);
  const run = peerproc(jobMasterArgs(address(room), job, tasksFile, results, extra), ENV);
  await run.line(/serving job/, 'stderr');
  return { run, results };
}

function worker(room: string, ...flags: string[]): Run {
  return peerproc(['worker', '--address', address(room), '--wait', '10', ...flags], ENV);
}

describe('peerproc master --job / worker --job', () => {
  it('runs a job that throws for some inputs: those lines carry error, the others result; exit 0', async () => {
    const room = freshRoom('cli-throws');
    const lines = Array.from({ length: 40 }, (_, i) =>
      i % 8 === 3
        ? `not a log line ${i}`
        : `10.1.2.${i} - bob [01/Dec/2026:10:00:00 +0000] "GET /x/${i} HTTP/1.1" 404 -`,
    );
    const { run, results } = await jobMaster(room, join(EXAMPLES, 'log-lines.mjs'), lines);
    const w = worker(room, '--job', join(EXAMPLES, 'log-lines.mjs'), '--threads', '2');
    expect(await run.exited, run.output()).toBe(0);
    expect(await w.exited, w.output()).toBe(0);
    const records = checkExactlyOnce(await readResults(results), lines.length);
    for (const [index, record] of records) {
      if (index % 8 === 3) {
        expect(record.error?.name).toBe('SyntaxError');
        expect(record.error?.message).toMatch(/not a common-log-format line/);
        expect(record).not.toHaveProperty('result');
      } else {
        expect(record.result).toEqual({
          host: `10.1.2.${index}`,
          user: 'bob',
          time: '01/Dec/2026:10:00:00 +0000',
          method: 'GET',
          path: `/x/${index}`,
          status: 404,
          bytes: 0,
        });
      }
      expect(record.task).toBe(lines[index]);
      expect(record.worker.agent).toBe('node-datachannel');
    }
    expect(run.stderr.join('\n')).toMatch(/40 tasks, 35 results, 5 errors, 0 duplicates ignored/);
  });

  it('refuses, without --job, a master serving one: exit 1 naming the job, its hash and what to do', async () => {
    const room = freshRoom('cli-nojob');
    const { run } = await jobMaster(room, PRIMES, [100, 200]);
    const w = worker(room);
    expect(await w.exited, w.output()).toBe(1);
    const message = w.stderr.join('\n');
    expect(message).toMatch(
      /JobMismatchError: the master serves job "count primes \(trial division\)" \(sha256 [0-9a-f]{12}…\)/,
    );
    expect(message).toMatch(/--job FILE/);
    expect(message).toMatch(/--job-from-master/);
    // The master keeps serving: a right worker finishes the run.
    const good = worker(room, '--job', PRIMES, '--threads', '1');
    expect(await run.exited, run.output()).toBe(0);
    expect(await good.exited, good.output()).toBe(0);
  });

  it("refuses a job file whose bundle differs from the master's: exit 1 with both hashes", async () => {
    const room = freshRoom('cli-mismatch');
    const { run } = await jobMaster(room, PRIMES, [100]);
    const w = worker(room, '--job', join(FIXTURES, 'primes-copy.mjs'));
    expect(await w.exited, w.output()).toBe(1);
    expect(w.stderr.join('\n')).toMatch(
      /the master serves job "count primes \(trial division\)" \(sha256 [0-9a-f]{12}…\), but .*primes-copy\.mjs bundles to sha256 [0-9a-f]{12}…/,
    );
    run.child.kill('SIGTERM');
    await run.exited;
  });

  it("runs the master's bundle with --job-from-master", async () => {
    const room = freshRoom('cli-from-master');
    const limits = Array.from({ length: 50 }, (_, i) => 1000 + 37 * i);
    const { run, results } = await jobMaster(room, PRIMES, limits);
    const w = worker(room, '--job-from-master', '--threads', '2');
    expect(await run.exited, run.output()).toBe(0);
    expect(await w.exited, w.output()).toBe(0);
    expect(w.stdout.join('\n')).toMatch(
      /running job "count primes \(trial division\)" \(sha256 [0-9a-f]{12}…\) in 2 thread\(s\)/,
    );
    const records = checkExactlyOnce(await readResults(results), limits.length);
    for (const [index, record] of records) expect(record.result).toBe(primesBelow(limits[index]));
  });

  it('bundles an npm import into the job, and a worker thread past --task-timeout is replaced', async () => {
    const room = freshRoom('cli-hash');
    const tasks = [
      { text: 'abc', rounds: 1 },
      { text: 'peerproc', rounds: 3 },
    ];
    const { run, results } = await jobMaster(room, join(EXAMPLES, 'hash-chain.mjs'), tasks);
    const w = worker(room, '--job', join(EXAMPLES, 'hash-chain.mjs'));
    expect(await run.exited, run.output()).toBe(0);
    await w.exited;
    const records = checkExactlyOnce(await readResults(results), 2);
    expect(records.get(0)?.result).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const { createHash } = await import('node:crypto');
    let digest = createHash('sha256').update('peerproc').digest();
    for (let i = 1; i < 3; i++) digest = createHash('sha256').update(digest).digest();
    expect(records.get(1)?.result).toBe(digest.toString('hex'));

    const spinRoom = freshRoom('cli-timeout');
    const spin = [
      { id: 'a', spinMs: 0 },
      { id: 'stuck', spinMs: 600_000 },
      { id: 'b', spinMs: 0 },
      { id: 'c', spinMs: 0 },
    ];
    const timed = await jobMaster(spinRoom, join(FIXTURES, 'spin.mjs'), spin, ['--task-timeout', '1']);
    const sw = worker(spinRoom, '--job', join(FIXTURES, 'spin.mjs'), '--threads', '1');
    expect(await timed.run.exited, timed.run.output()).toBe(0);
    expect(await sw.exited, sw.output()).toBe(0);
    const spun = checkExactlyOnce(await readResults(timed.results), spin.length);
    expect(spun.get(1)?.error?.name).toBe('TaskTimeoutError');
    expect([0, 2, 3].map((i) => spun.get(i)?.result)).toEqual(['a', 'b', 'c']);
  });

  it('redelivers the tasks of a SIGKILLed worker: each task exactly once in the results', async () => {
    const room = freshRoom('cli-kill');
    const limits = Array.from({ length: 120 }, (_, i) => 40_000 + 11 * i);
    const { run, results } = await jobMaster(room, PRIMES, limits);
    const doomed = worker(room, '--job', PRIMES, '--threads', '1');
    await doomed.waitForLine(/^task \d+ done$/);
    doomed.child.kill('SIGKILL');
    const fresh = worker(room, '--job', PRIMES, '--threads', '2');
    expect(await run.exited, run.output()).toBe(0);
    expect(await fresh.exited, fresh.output()).toBe(0);
    const records = checkExactlyOnce(await readResults(results), limits.length);
    for (const [index, record] of records) expect(record.result).toBe(primesBelow(limits[index]));
    expect(Number(/(\d+) redelivered/.exec(run.stderr.join('\n'))?.[1])).toBeGreaterThan(0);
  });

  it('writes results to standard output without --results, keys in the documented order', async () => {
    const room = freshRoom('cli-stdout');
    const tasksFile = await writeTasks(join(work.dir, 'stdout.jsonl'), [10, 20, 30]);
    const run = peerproc(['master', '--address', address(room), '--job', PRIMES, '--tasks-file', tasksFile], ENV);
    await run.line(/serving job/, 'stderr');
    const w = worker(room, '--job', PRIMES, '--threads', '1');
    expect(await run.exited, run.output()).toBe(0);
    await w.exited;
    const lines = run.stdout.filter((l) => l !== '');
    expect(lines).toHaveLength(3);
    const parsed = lines.map((l) => JSON.parse(l)).sort((a, b) => a.index - b.index);
    expect(parsed.map((r) => r.result)).toEqual([4, 8, 10]);
    expect(Object.keys(parsed[0])).toEqual(['index', 'task', 'result', 'worker']);
  });

  it('says what is wrong with bad job options and files', async () => {
    const room = freshRoom('cli-bad');
    const noJob = peerproc(['master', '--address', address(room), '--tasks-file', 'x.jsonl'], ENV);
    expect(await noJob.exited).toBe(2);
    expect(noJob.stderr.join('\n')).toMatch(/--tasks-file applies to a job run: add --job FILE/);
    const noTasks = peerproc(['master', '--address', address(room), '--job', PRIMES], ENV);
    expect(await noTasks.exited).toBe(2);
    expect(noTasks.stderr.join('\n')).toMatch(/--job needs --tasks-file/);
    const bad = await writeTasks(join(work.dir, 'bad.jsonl'), [1]);
    await import('node:fs/promises').then((fs) => fs.appendFile(bad, '{oops\n'));
    const badLine = peerproc(['master', '--address', address(room), '--job', PRIMES, '--tasks-file', bad], ENV);
    expect(await badLine.exited).toBe(2);
    expect(badLine.stderr.join('\n')).toMatch(/bad\.jsonl line 2 is not a JSON value/);
    const missing = peerproc(
      ['master', '--address', address(room), '--job', join(work.dir, 'nope.mjs'), '--tasks-file', bad],
      ENV,
    );
    expect(await missing.exited).toBe(1);
    expect(missing.stderr.join('\n')).toMatch(/JobLoadError: cannot bundle the job .*nope\.mjs/);
    const both = peerproc(['worker', '--address', address(room), '--job', PRIMES, '--job-from-master'], ENV);
    expect(await both.exited).toBe(2);
    expect(both.stderr.join('\n')).toMatch(/--job and --job-from-master exclude each other/);
    const python = peerproc(['worker', '--python-master', '127.0.0.1:1', '--job', PRIMES], ENV);
    expect(await python.exited).toBe(2);
    expect(python.stderr.join('\n')).toMatch(/a CPython master \(--python-master\) serves none/);
    const pythonListen = peerproc(
      ['master', '--address', address(room), '--job', PRIMES, '--tasks-file', bad, '--python-listen', '127.0.0.1:0'],
      ENV,
    );
    expect(await pythonListen.exited).toBe(2);
    expect(pythonListen.stderr.join('\n')).toMatch(/CPython workers, which cannot run a job/);
  });

  it('draws a live progress bar when stderr is a terminal', async () => {
    const room = freshRoom('cli-tty');
    const tasksFile = await writeTasks(
      join(work.dir, 'tty.jsonl'),
      Array.from({ length: 6 }, (_, i) => ({ id: i, spinMs: 300 })),
    );
    const results = join(work.dir, 'tty.out');
    const command = [
      process.execPath,
      CLI,
      ...jobMasterArgs(address(room), join(FIXTURES, 'spin.mjs'), tasksFile, results),
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    // script(1) gives the master a pseudo-terminal: what a person at a terminal sees.
    const run = collected('script', ['-qefc', command, '/dev/null'], ENV);
    await run.line(/serving job/);
    const w = worker(room, '--job', join(FIXTURES, 'spin.mjs'), '--threads', '1');
    expect(await run.exited, run.output()).toBe(0);
    await w.exited;
    const screen = run.stdout.join('\n');
    expect(screen).toMatch(/job [\u2588\u2591]+ 6\/6 \| [\d.]+ tasks\/s \| \d worker\(s\) \| 0 error\(s\) \| ETA/);
    expect(screen).not.toMatch(/progress: /);
    expect(checkExactlyOnce(await readResults(results), 6).size).toBe(6);
  });

  it('prints a status line every few seconds when stderr is not a terminal, and nothing with --quiet', async () => {
    const slow = Array.from({ length: 4 }, (_, i) => ({ id: i, spinMs: 1_600 }));
    for (const quiet of [false, true]) {
      const room = freshRoom(quiet ? 'cli-quiet' : 'cli-status');
      const tasksFile = await writeTasks(join(work.dir, `${room}.jsonl`), slow);
      const results = join(work.dir, `${room}.out`);
      const run = peerproc(
        jobMasterArgs(address(room), join(FIXTURES, 'spin.mjs'), tasksFile, results, quiet ? ['--quiet'] : []),
        ENV,
      );
      const w = worker(room, '--job', join(FIXTURES, 'spin.mjs'), '--threads', '1');
      expect(await run.exited, run.output()).toBe(0);
      await w.exited;
      const stderr = run.stderr.join('\n');
      if (quiet) {
        expect(stderr).not.toMatch(/progress:|serving job|4 tasks/);
      } else {
        expect(stderr).toMatch(/progress: \d\/4 done \(0 error\(s\)\), [\d.]+ tasks\/s, 1 worker\(s\), about .* left/);
        expect(stderr).toMatch(/4 tasks, 4 results, 0 errors/);
        expect(stderr).toMatch(/worker \w+ \(node-datachannel\): 4 task\(s\), 100\.0 %/);
      }
    }
  });
});
