/**
 * The worker page's job session: asks the master for its job; with one,
 * fetches the bundle, checks its SHA-256, and runs it in the sandbox's pool of
 * Web Workers until the session ends. Without one (a seed master), returns
 * false and the page computes the seed's square.
 */
import { UnknownTypeidError } from '../../../shared/errors.js';
import { bundleSha256 } from '../../../shared/jobs/digest.js';
import { JobIntegrityError } from '../../../shared/jobs/errors.js';
import { asJobDescription, type JobDescription, type JobOutcome } from '../../../shared/jobs/protocol.js';
import { runWorkLoop } from '../../../shared/jobs/work-loop.js';
import type { BaseManager, Queue } from '../../lib/index.js';
import { SandboxPool } from './sandbox-pool.js';

interface JobRegistry {
  get_task_queue: Queue<unknown>;
  get_result_queue: Queue<JobOutcome>;
  get_job: { describe(): JobDescription; source(): string };
}

export interface JobWorkOptions {
  threads: number;
  pollSeconds: number;
  stopped(): boolean;
  onJob(job: JobDescription, threads: number): void;
  onBusy(busy: boolean): void;
  onOutcome(outcome: JobOutcome): void;
}

/** Works for the master's job until the session ends; false when the master serves none. */
export async function workOnJob(seedManager: BaseManager<object>, options: JobWorkOptions): Promise<boolean> {
  const manager = seedManager as unknown as BaseManager<JobRegistry>;
  let service: Awaited<ReturnType<typeof manager.get_job>>;
  try {
    service = await manager.get_job();
  } catch (err) {
    if (err instanceof UnknownTypeidError) return false;
    throw err;
  }
  const description = asJobDescription(await service.describe());
  if (!description) throw new JobIntegrityError('the master described its job in a form this page does not know');
  const source = await service.source();
  if (typeof source !== 'string' || bundleSha256(source) !== description.sha256) {
    throw new JobIntegrityError(
      `the bundle of job "${description.name}" does not have the SHA-256 the master announced`,
    );
  }
  const pool = await SandboxPool.start(source, options.threads, description.taskTimeout);
  options.onJob(description, pool.size);
  try {
    const task = await manager.get_task_queue();
    const result = await manager.get_result_queue();
    await runWorkLoop({
      task,
      result,
      pool,
      pollSeconds: options.pollSeconds,
      keepPolling: true,
      stopped: options.stopped,
      onBusy: options.onBusy,
      onOutcome: options.onOutcome,
    });
  } finally {
    pool.close();
  }
  return true;
}
