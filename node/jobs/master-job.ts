/**
 * `peerproc master --job FILE --tasks-file FILE [--results FILE]`: serves a
 * job to the room's workers and writes one JSON line per task outcome. The
 * master command calls in here only when --job is given; without it the seed
 * command is unchanged.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../shared/errors.js';
import { JobService } from '../../shared/jobs/job-service.js';
import { parseTaskLines, recordLine } from '../../shared/jobs/json-lines.js';
import { type JobMaster, JobRun, JobStalledError } from '../../shared/jobs/master-run.js';
import {
  JOB_METHODS,
  JOB_TYPEID,
  type JobTask,
  RESULT_QUEUE_TYPEID,
  shortHash,
  TASK_QUEUE_TYPEID,
} from '../../shared/jobs/protocol.js';
import { JobResultQueue } from '../../shared/jobs/result-queue.js';
import type { Logger } from '../../shared/logger.js';
import { Queue } from '../../shared/queue/queue.js';
import { EXIT_FAILURE, EXIT_OK, numberFlag, type Options } from '../commands/common.js';
import { loadJob } from './bundle.js';
import { startProgress, summaryLines } from './progress.js';

export const MASTER_JOB_FLAGS: Options = {
  job: { type: 'string' },
  'tasks-file': { type: 'string' },
  results: { type: 'string' },
  quiet: { type: 'boolean' },
  'task-timeout': { type: 'string' },
};

export const MASTER_JOB_USAGE = `  --job FILE           serve this job module (default export (task) => result) to the
                       workers, bundled with its imports; needs --tasks-file
  --tasks-file FILE    one task per line, a JSON value ('-': standard input)
  --results FILE       write one JSON line per task outcome here (default: standard output)
  --task-timeout SECONDS
                       a task running longer is reported as a TaskTimeoutError (default: none)
  --quiet              no progress on standard error`;

/** Flags that mean nothing without --job. */
const JOB_ONLY = ['tasks-file', 'results', 'quiet', 'task-timeout'] as const;

/** What the master command needs (a BaseManager fits). */
export interface JobManager extends JobMaster {
  register(typeid: string, callable: () => object, options?: { exposed?: readonly string[] }): unknown;
}

export interface MasterJob {
  register(manager: JobManager): void;
  /** Runs until every task has an outcome (0), or a stall (1). */
  run(manager: JobManager, timeoutSeconds: number): Promise<number>;
}

async function readTasks(path: string): Promise<unknown[]> {
  let text: string;
  try {
    if (path === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } else {
      text = await readFile(path, 'utf8');
    }
  } catch (err) {
    throw new ConfigError(`--tasks-file ${path}: cannot read it (${(err as Error).message})`);
  }
  return parseTaskLines(text, path === '-' ? 'standard input' : path);
}

/** The output of the results, opened before any worker connects (a bad path fails at once). */
async function openResults(path: string | undefined) {
  if (path === undefined) {
    return { write: (line: string) => void process.stdout.write(`${line}\n`), close: async () => {} };
  }
  const stream = createWriteStream(path);
  try {
    await once(stream, 'open');
  } catch (err) {
    throw new ConfigError(`--results ${path}: cannot write it (${(err as Error).message})`);
  }
  return {
    write: (line: string) => void stream.write(`${line}\n`),
    close: async () => {
      stream.end();
      await once(stream, 'finish');
    },
  };
}

/** The job of `--job`, bundled and with its tasks read; undefined without --job (the seed's run). */
export async function prepareMasterJob(
  values: Record<string, unknown>,
  logger: Logger,
): Promise<MasterJob | undefined> {
  const file = values.job;
  if (typeof file !== 'string') {
    const stray = JOB_ONLY.find((flag) => values[flag] !== undefined);
    if (stray) throw new ConfigError(`--${stray} applies to a job run: add --job FILE`);
    return undefined;
  }
  if (typeof values['tasks-file'] !== 'string')
    throw new ConfigError('--job needs --tasks-file FILE (or - for standard input)');
  if (values.tasks !== undefined) {
    throw new ConfigError("--tasks puts the seed's random integers; a job takes its tasks from --tasks-file");
  }
  const taskTimeout =
    values['task-timeout'] === undefined ? null : numberFlag(values, 'task-timeout', 0, { min: 0.001 });
  const quiet = values.quiet === true;
  const bundle = await loadJob(file);
  const tasks = await readTasks(values['tasks-file']);
  const output = await openResults(typeof values.results === 'string' ? values.results : undefined);
  const service = new JobService(bundle, taskTimeout);
  const description = service.describe();
  const label = `job "${description.name}" (sha256 ${shortHash(description.sha256)}…, ${description.bytes} bytes)`;
  const taskQueue = new Queue<JobTask>();
  const resultQueue = new JobResultQueue();
  if (!quiet) logger.info(`serving ${label}; ${tasks.length} task(s)`);

  return {
    register(manager) {
      manager.register(JOB_TYPEID, () => service, { exposed: JOB_METHODS });
      manager.register(TASK_QUEUE_TYPEID, () => taskQueue);
      manager.register(RESULT_QUEUE_TYPEID, () => resultQueue);
    },
    async run(manager, timeoutSeconds) {
      const run = new JobRun({
        master: manager,
        taskQueue,
        resultQueue,
        tasks,
        timeoutSeconds,
        onRecord: (record) => output.write(recordLine(record)),
        logger,
      });
      const progress = startProgress(run, quiet);
      try {
        const summary = await run.run();
        progress.stop();
        if (!quiet) for (const line of summaryLines(summary, label)) process.stderr.write(`${line}\n`);
        return EXIT_OK;
      } catch (err) {
        progress.stop();
        if (!(err instanceof JobStalledError)) throw err;
        process.stderr.write(`peerproc master: ${err.message} (are workers connected?)\n`);
        if (!quiet) for (const line of summaryLines(run.summary(), label)) process.stderr.write(`${line}\n`);
        return EXIT_FAILURE;
      } finally {
        await output.close();
      }
    },
  };
}
