/**
 * `peerproc worker --job FILE [--threads N]` and `--job-from-master`: after
 * connecting, the worker asks the master for its job (`get_job`) and runs it
 * in worker threads. It never runs code from the network unless told to: a
 * master serving a job to a worker without `--job`, or one whose bundle
 * differs from the worker's file, ends the worker with JobMismatchError.
 */

import { ConfigError } from '../../shared/errors.js';
import { shortHash } from '../../shared/jobs/protocol.js';
import type { BaseManager } from '../../shared/manager/manager.js';
import { numberFlag, type Options } from '../commands/common.js';
import { type SessionOutcome, sessionEndedBy } from '../commands/session-end.js';
import { defaultThreads } from './thread-pool.js';
import { bundleLocalJob, type LocalJob, workJob } from './work-job.js';

export { closeJobPools } from './work-job.js';

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

export interface WorkerJobSetup {
  /** The local job file's bundle, with --job. */
  local: LocalJob | undefined;
  fromMaster: boolean;
  threads: number;
}

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
  return { local: file === undefined ? undefined : await bundleLocalJob(file), fromMaster, threads };
}

/**
 * Serves one master's job session; undefined when neither side has a job (the
 * caller runs the seed's loop on the same manager). Throws JobMismatchError
 * when the two differ.
 */
export async function serveJob(
  manager: BaseManager<object>,
  setup: WorkerJobSetup,
  { idle, firstWait }: { idle: number; firstWait: number },
  out: (line: string) => void,
): Promise<SessionOutcome | undefined> {
  // The seed's loop gets the manager as it is: only a job session here ends it.
  let seed = false;
  try {
    const outcome = await workJob(manager, {
      job: setup.local,
      fromMaster: setup.fromMaster,
      threads: setup.threads,
      idle,
      firstWait,
      onStart: ({ name, sha256 }, threads) =>
        out(`running job "${name}" (sha256 ${shortHash(sha256)}…) in ${threads} thread(s)`),
      onOutcome: (outcome) =>
        out(
          'error' in outcome
            ? `task ${outcome.index} failed: ${outcome.error.name}: ${outcome.error.message}`
            : `task ${outcome.index} done`,
        ),
    });
    seed = outcome === 'no-job';
    if (seed) return undefined;
    out('task queue is empty.');
    return 'done';
  } catch (err) {
    return sessionEndedBy(err, out);
  } finally {
    if (!seed) await manager.shutdown();
  }
}
