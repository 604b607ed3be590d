/**
 * `peerproc worker --job FILE [--threads N]` and `--job-from-master`: after
 * connecting, the worker asks the master for its job (`get_job`) and runs it
 * in worker threads. It never runs code from the network unless told to: a
 * master serving a job to a worker without `--job`, or one whose bundle
 * differs from the worker's file, ends the worker with JobMismatchError.
 */
import { ConfigError, ConnectionClosedError, PeerShutdownError, UnknownTypeidError } from '../../shared/errors.js';
import { bundleSha256 } from '../../shared/jobs/digest.js';
import { JobIntegrityError, JobMismatchError } from '../../shared/jobs/errors.js';
import { asJobDescription, type JobDescription, type JobOutcome, shortHash } from '../../shared/jobs/protocol.js';
import type { SlotPool } from '../../shared/jobs/slot-pool.js';
import { runWorkLoop } from '../../shared/jobs/work-loop.js';
import type { BaseManager } from '../../shared/manager/manager.js';
import type { Queue } from '../../shared/queue/queue.js';
import { numberFlag, type Options } from '../commands/common.js';
import { bundleJobSource } from './bundle.js';
import { defaultThreads, startThreadPool } from './thread-pool.js';

export const WORKER_JOB_FLAGS: Options = {
  job: { type: 'string' },
  threads: { type: 'string' },
  'job-from-master': { type: 'boolean' },
};

export const WORKER_JOB_USAGE = `  --job FILE           run this job module (an ES module whose default export is
                       (task) => result) for a master serving the same job
  --threads N          worker threads running the job (default: available parallelism)
  --job-from-master    run the job the master serves, whatever it is: this gives whoever
                       holds the master's authkey code execution on this machine`;

/** The seed worker's registry plus the job service. */
interface JobRegistry {
  get_task_queue: Queue<unknown>;
  get_result_queue: Queue<JobOutcome>;
  get_job: { describe(): JobDescription; source(): string };
}

export interface WorkerJobSetup {
  /** The local job file and its bundle, with --job. */
  local: { file: string; source: string; sha256: string } | undefined;
  fromMaster: boolean;
  threads: number;
}

export type JobSessionOutcome = 'done' | 'master-shutdown' | 'master-lost';

/** Reads the job flags; bundles the local job file (so a broken file fails before connecting). */
export async function prepareWorkerJob(values: Record<string, unknown>): Promise<WorkerJobSetup> {
  const file = typeof values.job === 'string' ? values.job : undefined;
  const fromMaster = values['job-from-master'] === true;
  if (file !== undefined && fromMaster) {
    throw new ConfigError("--job and --job-from-master exclude each other: run your own file, or the master's job");
  }
  const threads = numberFlag(values, 'threads', defaultThreads(), { integer: true, min: 1 });
  if (values.threads !== undefined && file === undefined && !fromMaster) {
    throw new ConfigError('--threads applies to a job: add --job FILE or --job-from-master');
  }
  if (file === undefined) return { local: undefined, fromMaster, threads };
  const source = await bundleJobSource(file);
  return { local: { file, source, sha256: bundleSha256(source) }, fromMaster, threads };
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

/** One pool per bundle, kept across reconnections to the same job. */
function poolFor(source: string, sha256: string, threads: number, timeout: number | null): Promise<SlotPool> {
  const key = `${sha256}/${timeout}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = startThreadPool(source, threads, timeout);
    pools.set(key, pool);
  }
  return pool;
}

/** Ends every worker thread (at exit). */
export async function closeJobPools(): Promise<void> {
  for (const pool of pools.values()) (await pool.catch(() => undefined))?.close();
  pools.clear();
}

/**
 * Serves one master's job session; undefined when neither side has a job (the
 * caller runs the seed's loop). Throws JobMismatchError when the two differ.
 */
export async function serveJob(
  seedManager: BaseManager<object>,
  setup: WorkerJobSetup,
  idle: number,
  out: (line: string) => void,
): Promise<JobSessionOutcome | undefined> {
  const manager = seedManager as unknown as BaseManager<JobRegistry>;
  // The seed's loop gets the manager as it is: only a job session here ends it.
  let seed = false;
  try {
    const served = await askForJob(manager);
    if (!served) {
      seed = !setup.local && !setup.fromMaster;
      if (seed) return undefined;
      throw new JobMismatchError(
        `the master serves no job (it puts the seed's squares): start this worker without ${setup.local ? '--job' : '--job-from-master'}`,
      );
    }
    const { name, sha256 } = served.description;
    const named = `job "${name}" (sha256 ${shortHash(sha256)}…)`;
    let source: string;
    if (setup.local) {
      if (setup.local.sha256 !== sha256) {
        throw new JobMismatchError(
          `the master serves ${named}, but ${setup.local.file} bundles to sha256 ${shortHash(setup.local.sha256)}…: ` +
            `run the master's job file with the same peerproc version, or --job-from-master to run the master's code`,
        );
      }
      source = setup.local.source;
    } else if (setup.fromMaster) {
      source = await served.service.source();
      if (typeof source !== 'string' || bundleSha256(source) !== sha256) {
        throw new JobIntegrityError(`the bundle of ${named} does not have the SHA-256 the master announced`);
      }
    } else {
      throw new JobMismatchError(
        `the master serves ${named} and this worker runs no code it receives unless told to: ` +
          `start it with --job FILE (the master's job file), or with --job-from-master to run the master's ` +
          `bundle (that gives whoever holds the authkey code execution on this machine)`,
      );
    }
    const pool = await poolFor(source, sha256, setup.threads, served.description.taskTimeout);
    out(`running ${named} in ${pool.size} thread(s)`);
    const task = await manager.get_task_queue();
    const result = await manager.get_result_queue();
    await runWorkLoop({
      task,
      result,
      pool,
      pollSeconds: idle,
      keepPolling: false,
      onOutcome: (outcome) =>
        out(
          'error' in outcome
            ? `task ${outcome.index} failed: ${outcome.error.name}: ${outcome.error.message}`
            : `task ${outcome.index} done`,
        ),
    });
    out('task queue is empty.');
    return 'done';
  } catch (err) {
    if (err instanceof PeerShutdownError) {
      out(`master shut down: ${err.message}`);
      return 'master-shutdown';
    }
    if (err instanceof ConnectionClosedError) {
      process.stderr.write(`peerproc worker: lost the master (${err.message}); waiting for it to come back\n`);
      return 'master-lost';
    }
    throw err;
  } finally {
    if (!seed) await manager.shutdown();
  }
}
