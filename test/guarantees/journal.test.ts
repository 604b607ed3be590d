/**
 * Durable runs: `peerproc master --journal FILE`, SIGKILLed at random moments
 * and restarted with the same command, ends with every task answered exactly
 * once across its transcripts, and never asks again a task it had answered.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { BaseManager, Queue, RunJournal, silentLogger } from '../../node/index.js';
import { type SignalProcess, startSignal } from '../support/cli-signal.js';
import { jobMasterArgs, killAll, peerproc, type Run, seedMasterArgs } from '../support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'peerproc-journal-'));
let signal: SignalProcess | undefined;
afterEach(async () => {
  killAll();
  await signal?.stop();
  signal = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const puts = (run: Run) => run.stdout.flatMap((l) => /^Put task (\d+)\.\.\.$/.exec(l)?.[1] ?? []).map(Number);
/** The task each result line answers, checking the square on the way. */
const answered = (run: Run) =>
  run.stdout.flatMap((l) => {
    const m = /^Result: (\d+) \* (\d+) = (\d+)$/.exec(l);
    if (!m) return [];
    expect(m[1]).toBe(m[2]);
    expect(Number(m[3])).toBe(Number(m[1]) ** 2);
    return [Number(m[1])];
  });
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
function minus(all: number[], taken: number[]): number[] {
  const left = new Map<number, number>();
  for (const x of all) left.set(x, (left.get(x) ?? 0) + 1);
  for (const x of taken) left.set(x, (left.get(x) ?? 0) - 1);
  return sorted([...left].flatMap(([x, n]) => Array<number>(Math.max(n, 0)).fill(x)));
}

it('a master SIGKILLed at random moments five times and restarted resumes: nothing answered is asked again, no result printed twice', async () => {
  signal = await startSignal();
  const address = `${signal.base}/durable`;
  const journal = join(dir, 'seed.journal');
  const TASKS = 20_000;
  const command = ['master', '--address', address, '--authkey', 'abc', '--tasks', String(TASKS), '--journal', journal];
  // Workers with default flags; --work makes the run long enough to be interrupted.
  const workers = [1, 2].map(() => peerproc(['worker', '--address', address, '--authkey', 'abc', '--work', '0.0005']));
  const runs: Run[] = [];
  for (let crash = 0; crash < 5; crash++) {
    const master = peerproc(command);
    runs.push(master);
    await master.waitForLine(/^Try get results\.\.\.$/, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 2_500));
    master.child.kill('SIGKILL');
    await master.exited;
  }
  const last = peerproc(command);
  runs.push(last);
  expect(await last.exited, last.output()).toBe(0);
  for (const worker of workers) expect(await worker.exited, worker.output()).toBe(0);

  const tasks = puts(runs[0]);
  expect(tasks).toHaveLength(TASKS);
  const resumeCount = (run: Run) =>
    Number(/^Resume: (\d+) of /.exec(run.stdout.find((l) => l.startsWith('Resume: ')) ?? '')?.[1] ?? 0);
  let printedSoFar: number[] = [];
  runs.forEach((run, k) => {
    if (k > 0) {
      // Nothing answered before a crash is asked again: a restart puts exactly the tasks its journal lacks
      // (as many as it says are left), and none of them had its result printed before.
      expect(puts(run)).toHaveLength(TASKS - resumeCount(run));
      expect(minus(puts(run), minus(tasks, printedSoFar))).toEqual([]);
    }
    printedSoFar = [...printedSoFar, ...answered(run)];
  });
  // No result printed twice, across all six transcripts (each is a result of one of the tasks).
  expect(minus(printedSoFar, tasks)).toEqual([]);
  // The last run finishes what the journal lacked: every task answered once in the journal.
  const finalRun = runs[runs.length - 1];
  expect(resumeCount(finalRun) + answered(finalRun).length).toBe(TASKS);
  // A result is printed right after its commit; a crash in between loses the line, never the result.
  const lost = TASKS - printedSoFar.length;
  console.log(
    `journal: results per run ${runs.map((r) => answered(r).length).join(', ')}; lines lost at crashes: ${lost}`,
  );
});

it('refuses a journal of another run and a truncated one with a clear error, leaving the file as it was', async () => {
  signal = await startSignal();
  const address = `${signal.base}/refused`;
  const journal = join(dir, 'other.journal');
  const journaled = (tasks: number, file: string, ...extra: string[]) =>
    peerproc(seedMasterArgs(address, 'abc', tasks, ['--journal', file, ...extra]));
  const master = journaled(3, journal);
  await master.waitForLine(/^Try get results\.\.\.$/);
  master.child.kill('SIGKILL');
  await master.exited;
  const digest = () => createHash('sha256').update(readFileSync(journal)).digest('hex');
  const before = digest();

  const other = journaled(5, journal);
  expect(await other.exited).toBe(1);
  expect(other.stderr.join('\n')).toMatch(
    new RegExp(`JournalError: journal ${journal} is of another run \\(tasks: journal 3, this run 5\\); pass --fresh`),
  );
  expect(digest()).toBe(before);

  const size = readFileSync(journal).length;
  truncateSync(journal, Math.floor(size / 3));
  const cut = digest();
  const truncated = journaled(3, journal);
  expect(await truncated.exited).toBe(1);
  expect(truncated.stderr.join('\n')).toMatch(new RegExp(`JournalError: journal ${journal} is corrupt or truncated`));
  expect(digest()).toBe(cut);

  const junk = join(dir, 'junk.journal');
  writeFileSync(junk, 'not a journal at all, just text\n'.repeat(200));
  const foreign = journaled(3, junk);
  expect(await foreign.exited).toBe(1);
  expect(foreign.stderr.join('\n')).toMatch(/is corrupt or truncated/);

  // --fresh starts over: a new run of 5 tasks, served by a worker.
  const fresh = journaled(5, journal, '--fresh');
  const worker = peerproc(['worker', '--address', address, '--authkey', 'abc']);
  expect(await fresh.exited, fresh.output()).toBe(0);
  expect(await worker.exited).toBe(0);
  expect(fresh.stdout.filter((l) => l.startsWith('Result: '))).toHaveLength(5);
});

it('a Node master script resumes with RunJournal: putUnanswered, record, onDurable', async () => {
  signal = await startSignal();
  const address = `${signal.base}/library-journal`;
  const path = join(dir, 'library.journal');
  const TASKS = 300;
  const open = () =>
    RunJournal.open<number, string>(path, {
      identity: { job: 'squares', tasks: TASKS },
      createTasks: () => Array.from({ length: TASKS }, (_, i) => i),
    });
  const reported: string[] = [];
  // First master: serves until 100 results are durable, then stops (as if it crashed).
  for (const stopAt of [100, TASKS]) {
    const journal = await open();
    const tasks = new Queue<number>();
    const results = new Queue<string>();
    const master = new BaseManager({ address, authkey: 'abc', logger: silentLogger });
    master.register('get_task_queue', () => tasks);
    master.register('get_result_queue', () => results);
    await master.start();
    const put = await journal.putUnanswered(tasks);
    expect(put).toBe(TASKS - journal.answeredCount);
    journal.onDurable((batch) => reported.push(...batch.map((a) => a.result)));
    const worker = peerproc(['worker', '--address', address, '--authkey', 'abc', '--work', '0.002']);
    while (journal.answeredCount < stopAt) journal.record(await results.getEntry({ timeout: 30 }));
    await journal.close();
    await master.shutdown();
    expect(await worker.exited).toBe(0);
  }
  const done = await open();
  expect(done.complete).toBe(true);
  expect([...done.answers()].map(([i, n, r]) => [i, r === `${n} * ${n} = ${n * n}`])).toEqual(
    Array.from({ length: TASKS }, (_, i) => [i, true]),
  );
  expect(reported).toHaveLength(TASKS);
  await done.close();
});

it('a job run with --journal, its master SIGKILLed 3 times and restarted: the results file holds each task once', async () => {
  signal = await startSignal();
  const address = `${signal.base}/job-journal`;
  const job = join(dir, 'slow-double.mjs');
  // A job slow enough (2 ms a task) that the run is interrupted mid-way.
  writeFileSync(
    job,
    "export const name = 'slow-double';\nexport default async (n) => { await new Promise((r) => setTimeout(r, 2)); return n * 2; };\n",
  );
  const TASKS = 3000;
  const tasksFile = join(dir, 'job-tasks.jsonl');
  writeFileSync(tasksFile, `${Array.from({ length: TASKS }, (_, i) => String(i)).join('\n')}\n`);
  const results = join(dir, 'job-results.jsonl');
  const journal = join(dir, 'job.journal');
  const env = { PEERPROC_AUTHKEY: 'job-journal-key-0123456789' };
  const command = jobMasterArgs(address, job, tasksFile, results, ['--journal', journal]);
  const workers = [1, 2].map(() => peerproc(['worker', '--address', address, '--job', job, '--threads', '2'], env));
  for (let crash = 0; crash < 3; crash++) {
    const master = peerproc(command, env);
    await master.line(/serving job/, 'stderr', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 1_500));
    master.child.kill('SIGKILL');
    await master.exited;
  }
  const last = peerproc(command, env);
  expect(await last.exited, last.output()).toBe(0);
  for (const worker of workers) expect(await worker.exited, worker.output()).toBe(0);
  const lines = readFileSync(results, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines.map((l) => l.index).sort((a, b) => a - b)).toEqual(Array.from({ length: TASKS }, (_, i) => i));
  for (const line of lines) expect(line.result).toBe(line.task * 2);
  // Another tasks file for the same journal is another run: refused, the journal untouched.
  const other = join(dir, 'other-tasks.jsonl');
  writeFileSync(other, '1\n2\n');
  const refused = peerproc([...command.slice(0, 6), other, ...command.slice(7)], env);
  expect(await refused.exited).toBe(1);
  expect(refused.stderr.join('\n')).toMatch(
    /JournalError: journal .* is of another run \(tasks: journal "[0-9a-f]{64}", this run "[0-9a-f]{64}"; count: journal 3000, this run 2\)/,
  );
});
