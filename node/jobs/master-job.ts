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
import { bundleSha256 } from '../../shared/jobs/digest.js';
import { type JobHost, JobMaster } from '../../shared/jobs/job-master.js';
import type { JobBundle } from '../../shared/jobs/job-service.js';
import { parseTaskLines, recordLine } from '../../shared/jobs/json-lines.js';
import { JobStalledError } from '../../shared/jobs/master-run.js';
import { shortHash } from '../../shared/jobs/protocol.js';
import type { Logger } from '../../shared/logger.js';
import { EXIT_FAILURE, EXIT_OK, numberFlag, type Options } from '../commands/common.js';
import { synchronousOutput, writeLineNow } from '../output.js';
import { loadJob } from './bundle.js';
import { type JobJournal, openJobJournal, rewriteResults } from './job-journal.js';
import { startProgress, summaryLines } from './progress.js';

export const MASTER_JOB_FLAGS: Options = {
  job: { type: 'string' },
  'tasks-file': { type: 'string' },
  results: { type: 'string' },
  // --quiet (-q) is the master command's own flag: with --job it also hides the progress.
  'task-timeout': { type: 'string' },
};

export const MASTER_JOB_USAGE = `  --job FILE           serve this job module (default export (task) => result) to the
                       workers, bundled with its imports; needs --tasks-file
  --tasks-file FILE    one task per line, a JSON value ('-': standard input)
  --results FILE       write one JSON line per task outcome here (default: standard output)
  --task-timeout SECONDS
                       a task running longer is reported as a TaskTimeoutError (default: none)
                       (with --job, --quiet also hides the progress bar)`;

/** Flags that mean nothing without --job. */
const JOB_ONLY = ['tasks-file', 'results', 'task-timeout'] as const;

export interface MasterJob {
  register(manager: JobHost): void;
  /** Runs until every task has an outcome (0), or a stall (1). */
  run(timeoutSeconds: number): Promise<number>;
  /** Workers waiting on the task queue now (they have loaded the job and want a task). */
  waitingWorkers(): number;
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
async function openResults(path: string | undefined, journaled = false) {
  if (path === undefined) {
    if (!journaled) return { write: (line: string) => void process.stdout.write(`${line}\n`), close: async () => {} };
    // Each line reaches the OS as soon as its outcome is durable: a crash loses none that was committed.
    synchronousOutput();
    return { write: (line: string) => writeLineNow(line), close: async () => {} };
  }
  const stream = createWriteStream(path, { flags: journaled ? 'a' : 'w' });
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

function jobLabel(name: string, sha256: string, bytes: number): string {
  return `job "${name}" (sha256 ${shortHash(sha256)}…, ${bytes} bytes)`;
}

/** The flags a job run refuses (they belong to the seed's run) or needs; checked before anything is read. */
function checkJobFlags(values: Record<string, unknown>): { tasksFile: string; taskTimeout: number | null } {
  const tasksFile = values['tasks-file'];
  if (typeof tasksFile !== 'string') throw new ConfigError('--job needs --tasks-file FILE (or - for standard input)');
  if (values['python-listen'] !== undefined) {
    throw new ConfigError(
      "--python-listen serves the seed's queues to CPython workers, which cannot run a job: drop it or --job",
    );
  }
  if (values.tasks !== undefined) {
    throw new ConfigError("--tasks puts the seed's random integers; a job takes its tasks from --tasks-file");
  }
  const taskTimeout =
    values['task-timeout'] === undefined ? null : numberFlag(values, 'task-timeout', 0, { min: 0.001 });
  return { tasksFile, taskTimeout };
}

type ResultsOutput = Awaited<ReturnType<typeof openResults>>;

/** Everything a job run reads and writes, opened before any worker connects. */
interface JobRunParts {
  readonly bundle: JobBundle;
  readonly tasks: unknown[];
  readonly taskTimeout: number | null;
  readonly quiet: boolean;
  readonly logger: Logger;
  readonly journal: JobJournal | undefined;
  /** The tasks a journal had answered before this run (a copy: the journal's own set grows during it). */
  readonly answered: ReadonlySet<number> | undefined;
  readonly output: ResultsOutput;
  readonly resultsPath: string | undefined;
}

/** The job of `--job`, bundled and with its tasks read; undefined without --job (the seed's run). */
export async function prepareMasterJob(
  values: Record<string, unknown>,
  logger: Logger,
  journalOptions?: { path: string; fresh: boolean },
): Promise<MasterJob | undefined> {
  const file = values.job;
  if (typeof file !== 'string') {
    const stray = JOB_ONLY.find((flag) => values[flag] !== undefined);
    if (stray) throw new ConfigError(`--${stray} applies to a job run: add --job FILE`);
    return undefined;
  }
  const { tasksFile, taskTimeout } = checkJobFlags(values);
  const quiet = values.quiet === true;
  const bundle = await loadJob(file);
  const tasks = await readTasks(tasksFile);
  const resultsPath = typeof values.results === 'string' ? values.results : undefined;
  // Opened before the results file: a journal of another run fails fast and touches nothing.
  const journal: JobJournal | undefined =
    journalOptions &&
    (await openJobJournal(journalOptions.path, {
      sha256: bundleSha256(bundle.source),
      tasks,
      fresh: journalOptions.fresh,
    }));
  const answered = journal ? new Set(journal.answered) : undefined;
  if (journal && answered && answered.size > 0 && !quiet) {
    logger.info(`resuming: ${answered.size} of ${tasks.length} task(s) already answered (journal ${journal.path})`);
  }
  // With a journal and a results file, the file is rewritten from the journal at the end; meanwhile
  // new outcomes are appended, so a reader sees progress.
  const output = await openResults(resultsPath, journal !== undefined);
  return jobMaster({ bundle, tasks, taskTimeout, quiet, logger, journal, answered, output, resultsPath });
}

function jobMaster(parts: JobRunParts): MasterJob {
  let master: JobMaster | undefined;
  return {
    register(manager) {
      master = new JobMaster(manager, parts.bundle, { taskTimeout: parts.taskTimeout });
      const { name, sha256, bytes } = master.description;
      if (!parts.quiet) parts.logger.info(`serving ${jobLabel(name, sha256, bytes)}; ${parts.tasks.length} task(s)`);
    },
    run(timeoutSeconds) {
      if (!master) throw new Error('register() comes before run()');
      return runJob(master, parts, timeoutSeconds);
    },
    waitingWorkers: () => master?.taskQueue.waitingPeers() ?? 0,
  };
}

/** Every task to an outcome, each written once (with a journal, once it is durable); 1 on a stall. */
async function runJob(master: JobMaster, parts: JobRunParts, timeoutSeconds: number): Promise<number> {
  const { tasks, quiet, logger, journal, answered, output, resultsPath } = parts;
  const { name, sha256, bytes } = master.description;
  const label = jobLabel(name, sha256, bytes);
  journal?.onDurable((batch) => {
    for (const { result } of batch) output.write(result);
  });
  const running = master.run(tasks, {
    timeout: timeoutSeconds,
    // With a journal, an outcome is written once it is durable (onDurable above).
    onRecord: (record) => {
      if (journal) journal.answer(record.index, recordLine(record));
      else output.write(recordLine(record));
    },
    logger,
    answered,
  });
  const run = master.current as NonNullable<JobMaster['current']>;
  const progress = startProgress(run, quiet);
  try {
    const summary = await running;
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
    journal?.flush();
    await output.close();
    // Each task exactly once in the final file, whatever the crashes before.
    if (journal?.complete && resultsPath !== undefined) await rewriteResults(journal, resultsPath);
    await journal?.close();
  }
}
