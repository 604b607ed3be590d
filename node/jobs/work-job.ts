/**
 * The library's Node job worker:
 *
 *   const job = await bundleJob('./job.mjs');          // or { fromMaster: true }
 *   const m = new BaseManager({ address, authkey });
 *   registerJobWorker(m);
 *   await m.connect();
 *   await workJob(m, { job, threads: 4 });            // until the queue is drained
 *
 * Asks the master for its job, checks it against the local one (or, only with
 * `fromMaster`, runs the master's bundle after checking its SHA-256), and runs
 * it in worker threads. Never runs code from the network otherwise.
 */
import { UnknownTypeidError } from '../../shared/errors.js';
import { bundleSha256 } from '../../shared/jobs/digest.js';
import { JobIntegrityError, JobMismatchError } from '../../shared/jobs/errors.js';
import type { JobBundle } from '../../shared/jobs/job-service.js';
import {
  asJobDescription,
  JOB_TYPEID,
  type JobDescription,
  type JobOutcome,
  RESULT_QUEUE_TYPEID,
  shortHash,
  TASK_QUEUE_TYPEID,
} from '../../shared/jobs/protocol.js';
import type { SlotPool } from '../../shared/jobs/slot-pool.js';
import { runWorkLoop } from '../../shared/jobs/work-loop.js';
import type { BaseManager } from '../../shared/manager/manager.js';
import type { Queue } from '../../shared/queue/queue.js';
import { bundleJobSource, loadJob } from './bundle.js';
import { defaultThreads, startThreadPool } from './thread-pool.js';

/** The seed worker's registry plus the job service. */
interface JobRegistry {
  get_task_queue: Queue<unknown>;
  get_result_queue: Queue<JobOutcome>;
  get_job: { describe(): JobDescription; source(): string };
}

/** A local job: its bundle (see bundleJob). */
export interface LocalJob {
  source: string;
  /** For messages: the file it came from. */
  file?: string;
}

export interface WorkJobOptions {
  /** The job this worker runs; the master must serve the same bundle. */
  job?: LocalJob;
  /** Run whatever bundle the master serves: gives the holder of the authkey code execution here. */
  fromMaster?: boolean;
  /** Worker threads (default: available parallelism). */
  threads?: number;
  /** Seconds the task queue must stay empty, with nothing in flight elsewhere, before returning (1). */
  idle?: number;
  /** Seconds the first get waits (default `idle`): a worker that joined before the master began putting. */
  firstWait?: number;
  onStart?(description: JobDescription, threads: number): void;
  onOutcome?(outcome: JobOutcome): void;
}

/**
 * Bundles a job file as a master does (the same bytes, the same SHA-256),
 * loads it once to check its default export and read its `name`: what
 * `new JobMaster(manager, job)` serves and `workJob(manager, { job })` runs.
 */
export async function bundleJob(file: string): Promise<JobBundle & LocalJob> {
  return { ...(await loadJob(file)), file };
}

/** The bundle alone, without loading it (the CLI worker: its threads load it). */
export async function bundleLocalJob(file: string): Promise<LocalJob> {
  return { source: await bundleJobSource(file), file };
}

/** Registers, on a worker's manager, the typeids a job master serves (before connect()). */
export function registerJobWorker(manager: { register(typeid: string): unknown }): void {
  for (const typeid of [JOB_TYPEID, TASK_QUEUE_TYPEID, RESULT_QUEUE_TYPEID]) manager.register(typeid);
}

/** The master's job, or undefined for a seed master (it has no `get_job`). */
async function askForJob(manager: BaseManager<JobRegistry>) {
  try {
    const service = await manager.get_job();
    const description = asJobDescription(await service.describe());
    if (!description) throw new JobIntegrityError('the master described its job in a form this worker does not know');
    return { service, description };
  } catch (err) {
    if (err instanceof UnknownTypeidError) return undefined;
    throw err;
  }
}

const pools = new Map<string, Promise<SlotPool>>();

/** One pool per bundle and timeout, kept across reconnections to the same job. */
function poolFor(source: string, sha256: string, threads: number, timeout: number | null): Promise<SlotPool> {
  const key = `${sha256}/${threads}/${timeout}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = startThreadPool(source, threads, timeout);
    pool.catch(() => pools.delete(key));
    pools.set(key, pool);
  }
  return pool;
}

/** Ends every worker thread started by workJob. */
export async function closeJobPools(): Promise<void> {
  for (const pool of pools.values()) (await pool.catch(() => undefined))?.close();
  pools.clear();
}

/**
 * Works for the master's job until its queue is drained. Resolves 'no-job'
 * at once when neither side has a job (a seed master and no local job);
 * rejects with JobMismatchError when the master's job is not this worker's.
 */
export async function workJob(manager: BaseManager<object>, options: WorkJobOptions = {}): Promise<'done' | 'no-job'> {
  const m = manager as unknown as BaseManager<JobRegistry>;
  const served = await askForJob(m);
  if (!served) {
    if (!options.job && !options.fromMaster) return 'no-job';
    throw new JobMismatchError(
      `the master serves no job (it puts the seed's squares): start this worker without ${options.job ? '--job' : '--job-from-master'}`,
    );
  }
  const { name, sha256, taskTimeout } = served.description;
  const named = `job "${name}" (sha256 ${shortHash(sha256)}…)`;
  let source: string;
  if (options.job) {
    const local = bundleSha256(options.job.source);
    if (local !== sha256) {
      throw new JobMismatchError(
        `the master serves ${named}, but ${options.job.file ?? "this worker's job"} bundles to sha256 ${shortHash(local)}…: ` +
          "run the master's job file with the same peerproc version, or --job-from-master to run the master's code",
      );
    }
    source = options.job.source;
  } else if (options.fromMaster) {
    source = await served.service.source();
    if (typeof source !== 'string' || bundleSha256(source) !== sha256) {
      throw new JobIntegrityError(`the bundle of ${named} does not have the SHA-256 the master announced`);
    }
  } else {
    throw new JobMismatchError(
      `the master serves ${named} and this worker runs no code it receives unless told to: ` +
        "start it with --job FILE (the master's job file), or with --job-from-master to run the master's " +
        'bundle (that gives whoever holds the authkey code execution on this machine)',
    );
  }
  const pool = await poolFor(source, sha256, options.threads ?? defaultThreads(), taskTimeout);
  options.onStart?.(served.description, pool.size);
  await runWorkLoop({
    task: await m.get_task_queue(),
    result: await m.get_result_queue(),
    pool,
    pollSeconds: options.idle ?? 1,
    firstPollSeconds: options.firstWait,
    keepPolling: false,
    onOutcome: options.onOutcome,
  });
  return 'done';
}
