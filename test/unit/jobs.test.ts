/** Unit tests of the job modules in shared/jobs/: each module alone, with fakes only for what it talks to. */
import { describe, expect, it } from 'vitest';
import { Empty } from '../../shared/errors.js';
import { bundleSha256 } from '../../shared/jobs/digest.js';
import { JobService } from '../../shared/jobs/job-service.js';
import {
  fromBase64,
  parseJsonLine,
  parseTaskLines,
  recordLine,
  toBase64,
  toJsonLine,
} from '../../shared/jobs/json-lines.js';
import { JobRun, JobStalledError } from '../../shared/jobs/master-run.js';
import {
  asJobDescription,
  asJobOutcome,
  asJobTask,
  errorInfo,
  type JobOutcome,
  type JobTask,
} from '../../shared/jobs/protocol.js';
import { JobResultQueue } from '../../shared/jobs/result-queue.js';
import { type Executor, SlotPool } from '../../shared/jobs/slot-pool.js';
import { type OutcomeBody, runWorkLoop } from '../../shared/jobs/work-loop.js';
import { LeaseLedger } from '../../shared/queue/leases.js';
import { Queue } from '../../shared/queue/queue.js';
import { remoteCall } from '../../shared/rpc/served.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('json lines', () => {
  it('round-trips BigInt and bytes through tagged objects', () => {
    const value = { big: 2n ** 70n, bytes: new Uint8Array([0, 1, 2, 250, 255]), list: [1, 'x', null] };
    const line = toJsonLine(value);
    expect(line).toBe(
      '{"big":{"$bigint":"1180591620717411303424"},"bytes":{"$base64":"AAEC+v8="},"list":[1,"x",null]}',
    );
    expect(parseJsonLine(line)).toEqual(value);
    for (let n = 0; n < 8; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97) & 255);
      expect(fromBase64(toBase64(bytes))).toEqual(bytes);
      expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
    expect(fromBase64('not base64!')).toBeUndefined();
  });

  it('parses a tasks file line by line, skipping blank lines, naming a bad line', () => {
    expect(parseTaskLines('1\n\n"two"\n{"a":[3]}\n', 't.jsonl')).toEqual([1, 'two', { a: [3] }]);
    expect(() => parseTaskLines('1\n{bad\n', 't.jsonl')).toThrow(/t\.jsonl line 2 is not a JSON value/);
  });

  it('writes records in the documented key order, result or error', () => {
    const worker = { id: 'w1', agent: 'browser' };
    expect(recordLine({ index: 0, task: 3, result: 9, worker })).toBe(
      '{"index":0,"task":3,"result":9,"worker":{"id":"w1","agent":"browser"}}',
    );
    expect(recordLine({ index: 1, task: 'x', error: { name: 'TypeError', message: 'm' }, worker })).toBe(
      '{"index":1,"task":"x","error":{"name":"TypeError","message":"m"},"worker":{"id":"w1","agent":"browser"}}',
    );
  });
});

describe('protocol checks', () => {
  it('accepts well-formed items and refuses the rest', () => {
    expect(asJobTask({ index: 2, task: null })).toEqual({ index: 2, task: null });
    for (const bad of [null, 3, { index: -1, task: 1 }, { index: 1.5, task: 1 }, { index: 1 }])
      expect(asJobTask(bad)).toBeUndefined();
    expect(asJobOutcome({ index: 0, result: undefined })).toEqual({ index: 0, result: undefined });
    expect(asJobOutcome({ index: 0, error: { name: 'E', message: 'm' } })).toEqual({
      index: 0,
      error: { name: 'E', message: 'm' },
    });
    for (const bad of [
      { index: 0 },
      { index: 0, error: 'x' },
      { index: 'a', result: 1 },
      { index: 0, error: { name: 1, message: 'm' } },
    ]) {
      expect(asJobOutcome(bad)).toBeUndefined();
    }
    const description = new JobService({ source: 'export default (x) => x', name: 'id' }, 2).describe();
    expect(description).toEqual({
      name: 'id',
      sha256: bundleSha256('export default (x) => x'),
      bytes: 23,
      taskTimeout: 2,
    });
    expect(asJobDescription(description)).toEqual(description);
    expect(asJobDescription({ ...description, sha256: 'abc' })).toBeUndefined();
    expect(asJobDescription({ ...description, taskTimeout: -1 })).toBeUndefined();
  });

  it('turns anything thrown into a name and a message', () => {
    expect(errorInfo(new RangeError('r'))).toEqual({ name: 'RangeError', message: 'r' });
    expect(errorInfo('plain')).toEqual({ name: 'Error', message: 'plain' });
    expect(errorInfo({ message: 'x'.repeat(5000) }).message).toHaveLength(2000);
  });

  it('hashes a bundle with SHA-256 over its UTF-8 bytes', () => {
    expect(bundleSha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

/** A pool whose tasks finish when the test says so, in any order. */
function manualPool(size: number) {
  const running = new Map<unknown, (body: OutcomeBody) => void>();
  return {
    size,
    running,
    run: (task: unknown) => new Promise<OutcomeBody>((resolve) => running.set(task, resolve)),
  };
}

describe('runWorkLoop', () => {
  it('runs up to pool.size tasks at once and puts outcomes in the order the tasks were taken', async () => {
    const items: unknown[] = [0, 1, 2, 3].map((i) => ({ index: i, task: `t${i}` }));
    const put: JobOutcome[] = [];
    const pool = manualPool(3);
    const loop = runWorkLoop({
      task: { get: async () => (items.length > 0 ? items.shift() : Promise.reject(new Empty())) },
      result: { put: async (o) => void put.push(o) },
      pool,
      pollSeconds: 0,
      keepPolling: false,
    });
    await delay(10);
    expect([...pool.running.keys()]).toEqual(['t0', 't1', 't2']);
    pool.running.get('t2')?.({ result: 2 });
    pool.running.get('t1')?.({ error: { name: 'E', message: 'one' } });
    await delay(10);
    expect(put).toEqual([]); // t0 is still running: nothing may acknowledge ahead of it
    pool.running.get('t0')?.({ result: 0 });
    await delay(10);
    expect(put.map((o) => o.index)).toEqual([0, 1, 2]);
    expect([...pool.running.keys()]).toContain('t3');
    pool.running.get('t3')?.({ result: 3 });
    await loop;
    expect(put).toEqual([
      { index: 0, result: 0 },
      { index: 1, error: { name: 'E', message: 'one' } },
      { index: 2, result: 2 },
      { index: 3, result: 3 },
    ]);
  });

  it('ends with the error when a put fails, and refuses a malformed task', async () => {
    const pool = { size: 1, run: async () => ({ result: 1 }) };
    await expect(
      runWorkLoop({
        task: { get: async () => ({ index: 0, task: 1 }) },
        result: { put: async () => Promise.reject(new Error('connection closed')) },
        pool,
        pollSeconds: 0,
        keepPolling: true,
      }),
    ).rejects.toThrow('connection closed');
    await expect(
      runWorkLoop({
        task: { get: async () => 'junk' },
        result: { put: async () => {} },
        pool,
        pollSeconds: 0,
        keepPolling: true,
      }),
    ).rejects.toThrow(/not \{index, task\}/);
  });
});

class FakeExecutor implements Executor {
  static created = 0;
  static terminated = 0;
  readonly ready = Promise.resolve();
  constructor() {
    FakeExecutor.created++;
  }
  async run(task: unknown): Promise<OutcomeBody> {
    const { ms, crash } = task as { ms: number; crash?: boolean };
    await delay(ms);
    if (crash) throw new Error('thread exited with code 1');
    return { result: ms };
  }
  terminate(): void {
    FakeExecutor.terminated++;
  }
}

describe('SlotPool', () => {
  it('times a task out, replaces its executor, and keeps running the next ones', async () => {
    FakeExecutor.created = 0;
    FakeExecutor.terminated = 0;
    const pool = new SlotPool(1, () => new FakeExecutor(), 0.05);
    await pool.start();
    const outcomes = await Promise.all([
      pool.run({ ms: 1 }),
      pool.run({ ms: 10_000 }),
      pool.run({ ms: 2 }),
      pool.run({ ms: 1, crash: true }),
    ]);
    expect(outcomes[0]).toEqual({ result: 1 });
    expect(outcomes[1]).toEqual({
      error: { name: 'TaskTimeoutError', message: expect.stringMatching(/task timeout of 0.05 s/) },
    });
    expect(outcomes[2]).toEqual({ result: 2 });
    expect(outcomes[3]).toEqual({ error: { name: 'JobCrashedError', message: expect.stringMatching(/code 1/) } });
    expect(pool.replaced).toBe(2);
    expect(FakeExecutor.created).toBe(3);
    pool.close();
    expect(FakeExecutor.terminated).toBe(3);
    await expect(pool.run({ ms: 1 })).rejects.toThrow(/closed/);
  });

  it('rejects (a broken pool, not an error outcome) when a replacement executor does not load', async () => {
    let made = 0;
    const pool = new SlotPool(
      1,
      () =>
        made++ === 0
          ? new FakeExecutor()
          : { ready: Promise.reject(new Error('out of memory')), run: async () => ({ result: 0 }), terminate() {} },
      0.02,
    );
    await pool.start();
    expect(await pool.run({ ms: 1_000 })).toMatchObject({ error: { name: 'TaskTimeoutError' } });
    await expect(pool.run({ ms: 1 })).rejects.toThrow('out of memory');
    pool.close();
  });

  it('fails to start, with JobLoadError, when the job does not load', async () => {
    const pool = new SlotPool(
      2,
      () => ({ ready: Promise.reject(new Error('boom')), run: async () => ({ result: 0 }), terminate() {} }),
      null,
    );
    await expect(pool.start()).rejects.toMatchObject({ name: 'JobLoadError', code: 'JOB_LOAD' });
  });
});

describe('JobRun', () => {
  const master = { on: () => () => {}, workers: () => [{ peer: 'w1', agent: 'browser', authenticated: true }] };

  it('reports each task once: a duplicate answer, a repeated index and a malformed item are set aside', async () => {
    const taskQueue = new Queue<JobTask>();
    const resultQueue = new JobResultQueue();
    const records: unknown[] = [];
    const run = new JobRun({
      master,
      taskQueue,
      resultQueue,
      tasks: ['a', 'b'],
      timeoutSeconds: 5,
      onRecord: (r) => void records.push(r),
    });
    const finished = run.run();
    const ledger = new LeaseLedger();
    const context = { signal: new AbortController().signal, ledger, peer: 'w1' };
    const take = () => taskQueue[remoteCall]('get', [{ timeout: 1 }], context) as Promise<JobTask>;
    const put = (value: unknown) => resultQueue[remoteCall]('put', [value], context);
    const first = await take();
    await put('junk');
    await put({ index: first.index, result: 'A' });
    await put({ index: first.index, result: 'again' }); // answers no lease, but its index is done
    const second = await take();
    await put({ index: second.index, error: { name: 'E', message: 'm' } });
    const summary = await finished;
    expect(records).toEqual([
      { index: 0, task: 'a', result: 'A', worker: { id: 'w1', agent: 'browser' } },
      { index: 1, task: 'b', error: { name: 'E', message: 'm' }, worker: { id: 'w1', agent: 'browser' } },
    ]);
    expect(summary).toMatchObject({ tasks: 2, results: 1, errors: 1, duplicates: 1, malformed: 1 });
    expect(summary.workers).toEqual([{ id: 'w1', agent: 'browser', results: 1, errors: 1 }]);
  });

  it('gives up on a stall, by the StallWatch rule, saying how far it got', async () => {
    const run = new JobRun({
      master: { on: () => () => {}, workers: () => [] },
      taskQueue: new Queue<JobTask>(),
      resultQueue: new JobResultQueue(),
      tasks: [1],
      timeoutSeconds: 0.2,
      onRecord: () => {},
    });
    await expect(run.run()).rejects.toThrow(JobStalledError);
    await expect(run.run().catch((e: Error) => e.message)).resolves.toMatch(/got 0 of 1 outcomes/);
  });
});
