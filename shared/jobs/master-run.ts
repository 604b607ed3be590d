/**
 * A job master's run, the same in `peerproc master --job` and in the master
 * page: puts every task as `{ index, task }`, collects one outcome per task
 * and hands each to `onRecord` once.
 *
 * Exactly once: a result entry names the task it answers (`answers`), so
 * FirstAnswers sets aside the second result of a redelivered task; and the
 * index each outcome carries must be one still waiting, which also sets aside
 * anything malformed a peer might send. It waits by the seed master's rule
 * (StallWatch): as long as tasks are in flight or workers are connecting, and
 * gives up only after `timeoutSeconds` in which nothing happened at all.
 */
import { PeerprocError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { WorkerInfo } from '../manager/master-host.js';
import { StallWatch, type WatchedMaster } from '../manager/stall-watch.js';
import { FirstAnswers } from '../queue/first-answers.js';
import type { Queue, QueueEntry } from '../queue/queue.js';
import type { AbortLike } from '../queue/types.js';
import { asJobOutcome, type JobErrorInfo, type JobTask } from './protocol.js';
import type { JobResultQueue, Received } from './result-queue.js';

/** One line of the results file. */
export interface JobRecord {
  index: number;
  task: unknown;
  result?: unknown;
  error?: JobErrorInfo;
  worker: { id: string; agent: string };
}

export interface WorkerShare {
  id: string;
  agent: string;
  results: number;
  errors: number;
}

export interface JobRunSummary {
  tasks: number;
  results: number;
  errors: number;
  /** Second answers to redelivered tasks, and answers that named no waiting task. */
  duplicates: number;
  /** Items that were not outcomes at all. */
  malformed: number;
  /** Tasks that came back because their worker was lost. */
  redeliveries: number;
  durationMs: number;
  workers: WorkerShare[];
}

/** The run stopped with tasks unanswered: nothing happened for the whole timeout. */
export class JobStalledError extends PeerprocError {
  override name = 'JobStalledError';
  readonly code = 'JOB_STALLED';
}

/** The master's side a run needs (a BaseManager fits). */
export interface JobMaster {
  on: WatchedMaster['on'];
  workers(): ReadonlyArray<Pick<WorkerInfo, 'peer' | 'agent' | 'authenticated'>>;
}

export interface JobRunOptions {
  master: JobMaster;
  taskQueue: Queue<JobTask>;
  resultQueue: JobResultQueue;
  tasks: readonly unknown[];
  timeoutSeconds: number;
  onRecord(record: JobRecord): void | Promise<void>;
  logger?: Logger;
  signal?: AbortLike;
  /** Tasks answered before (a journaled run resumed): not put again, and counted as done. */
  answered?: ReadonlySet<number>;
}

/** Who answered: the agent is looked up while the worker is connected (and remembered after it left). */
class WorkerNames {
  readonly #agents = new Map<string, string>();
  readonly #master: JobRunOptions['master'];
  constructor(master: JobRunOptions['master']) {
    this.#master = master;
  }
  /** Remembers what each worker runs as it joins: its results may be read after it left. */
  watch(): () => void {
    return this.#master.on((event) => {
      if (event.type === 'worker-authenticated') this.agentOf(event.peer);
    });
  }

  agentOf(peer: string | undefined): string {
    if (peer === undefined) return 'local';
    const known = this.#agents.get(peer);
    if (known !== undefined && known !== 'unknown') return known;
    const agent = this.#master.workers().find((w) => w.peer === peer)?.agent ?? 'unknown';
    this.#agents.set(peer, agent);
    return agent;
  }
}

export class JobRun {
  readonly #options: JobRunOptions;
  readonly #waiting: Set<number>;
  readonly #answers = new FirstAnswers();
  readonly #names: WorkerNames;
  readonly #shares = new Map<string, WorkerShare>();
  readonly startedAt = performance.now();
  results = 0;
  errors = 0;
  duplicates = 0;
  malformed = 0;
  finishedAt: number | null = null;
  /** Tasks answered by an earlier run of this journal. */
  readonly resumed: number;

  constructor(options: JobRunOptions) {
    this.#options = options;
    const answered = options.answered ?? new Set<number>();
    this.#waiting = new Set([...options.tasks.keys()].filter((index) => !answered.has(index)));
    this.resumed = answered.size;
    this.#names = new WorkerNames(options.master);
  }

  get total(): number {
    return this.#options.tasks.length;
  }

  get done(): number {
    return this.resumed + this.results + this.errors;
  }

  /** Workers connected now (authenticated). */
  connectedWorkers(): number {
    return this.#options.master.workers().filter((w) => w.authenticated).length;
  }

  /** Puts every task, then collects; resolves once every task has a result or an error. */
  async run(): Promise<JobRunSummary> {
    const { taskQueue, resultQueue, tasks, timeoutSeconds } = this.#options;
    for (const index of this.#waiting) await taskQueue.put({ index, task: tasks[index] });
    const watch = new StallWatch(this.#options.master, taskQueue, timeoutSeconds);
    const unwatch = this.#names.watch();
    for (const w of this.#options.master.workers()) this.#names.agentOf(w.peer);
    try {
      while (this.#waiting.size > 0) {
        const next = await watch.next(resultQueue, this.#options.signal);
        if (typeof next === 'string') throw new JobStalledError(`${next}; got ${this.done} of ${this.total} outcomes`);
        await this.#accept(next);
      }
    } finally {
      watch.close();
      unwatch();
    }
    this.finishedAt = performance.now();
    return this.summary();
  }

  async #accept(entry: QueueEntry<Received>): Promise<void> {
    const { value, peer } = entry.value;
    const outcome = asJobOutcome(value);
    if (!outcome) {
      this.malformed++;
      this.#options.logger?.warn(`worker ${peer ?? 'local'} returned something that is not a job outcome; ignored`);
      return;
    }
    if (!this.#answers.accept(entry) || !this.#waiting.delete(outcome.index)) {
      this.duplicates++;
      return;
    }
    const id = peer ?? 'local';
    const agent = this.#names.agentOf(peer);
    let share = this.#shares.get(id);
    if (!share) {
      share = { id, agent, results: 0, errors: 0 };
      this.#shares.set(id, share);
    }
    const record: JobRecord = { index: outcome.index, task: this.#options.tasks[outcome.index], worker: { id, agent } };
    if ('error' in outcome) {
      record.error = outcome.error;
      this.errors++;
      share.errors++;
    } else {
      record.result = outcome.result;
      this.results++;
      share.results++;
    }
    await this.#options.onRecord(record);
  }

  shares(): WorkerShare[] {
    return [...this.#shares.values()].sort((a, b) => b.results + b.errors - (a.results + a.errors));
  }

  summary(): JobRunSummary {
    return {
      tasks: this.total,
      results: this.results,
      errors: this.errors,
      duplicates: this.duplicates,
      malformed: this.malformed,
      redeliveries: this.#options.taskQueue.redeliveries,
      durationMs: (this.finishedAt ?? performance.now()) - this.startedAt,
      workers: this.shares(),
    };
  }
}
