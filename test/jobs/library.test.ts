/**
 * The job API in code, as the README shows it: a Node master script with
 * JobMaster and a Node worker with workJob, over real WebRTC through a real
 * signaling server (inside the network namespace).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BaseManager,
  bundleJob,
  closeJobPools,
  JobMaster,
  JobMismatchError,
  type JobRecord,
  recordLine,
  registerJobWorker,
  workJob,
} from '../../node/index.js';
import type { SignalingServer } from '../../signaling/index.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';
import { EXAMPLES, FIXTURES } from './support.js';

const AUTHKEY = 'jobs-library-key';
let signaling: SignalingServer;

beforeAll(async () => {
  signaling = await startTestSignaling();
});

afterAll(async () => {
  await closeJobPools();
  await signaling?.close();
});

describe('JobMaster and workJob', () => {
  it('serve a job from a master script and run it on a worker: BigInt and bytes arrive intact', async () => {
    const address = signaling.wsUrl(freshRoom('lib'));
    const job = await bundleJob(join(FIXTURES, 'types.mjs'));
    expect(job.name).toBe('value types');
    const manager = new BaseManager({ address, authkey: AUTHKEY });
    const master = new JobMaster(manager, job);
    await manager.start();

    const worker = new BaseManager({ address, authkey: AUTHKEY });
    registerJobWorker(worker);
    await worker.connect();
    const working = workJob(worker, { job, threads: 2 });

    const tasks = Array.from({ length: 30 }, (_, i) => i + 1);
    const records: JobRecord[] = [];
    const summary = await master.run(tasks, { onRecord: (r) => void records.push(r) });
    await expect(working).resolves.toBe('done');
    expect(summary).toMatchObject({ tasks: 30, results: 30, errors: 0, duplicates: 0 });
    expect(records).toHaveLength(30);
    for (const r of records) {
      const n = tasks[r.index];
      expect(r.result).toEqual({
        big: BigInt(n) ** 20n,
        bytes: Uint8Array.of(n, n + 1),
        text: `n=${n}`,
        nested: [n, { half: n / 2 }],
      });
      expect(r.worker.agent).toBe('node-datachannel');
    }
    const first = records.find((r) => r.index === 1) as JobRecord;
    expect(recordLine(first)).toContain('"big":{"$bigint":"1048576"},"bytes":{"$base64":"AgM="}');
    expect(() => master.run(tasks, { onRecord: () => {} })).toThrow(/runs its tasks once/);
    await worker.shutdown();
    await manager.shutdown();
  });

  it('workJob refuses a master serving another job, with JobMismatchError', async () => {
    const address = signaling.wsUrl(freshRoom('lib-mismatch'));
    const manager = new BaseManager({ address, authkey: AUTHKEY });
    new JobMaster(manager, await bundleJob(join(EXAMPLES, 'primes.mjs')));
    await manager.start();
    const worker = new BaseManager({ address, authkey: AUTHKEY });
    registerJobWorker(worker);
    await worker.connect();
    const error = await workJob(worker, { job: await bundleJob(join(EXAMPLES, 'log-lines.mjs')) }).catch((e) => e);
    expect(error).toBeInstanceOf(JobMismatchError);
    expect(error.code).toBe('JOB_MISMATCH');
    await expect(workJob(worker, {})).rejects.toThrow(/runs no code it receives unless told to/);
    await worker.shutdown();
    await manager.shutdown();
  });
});
