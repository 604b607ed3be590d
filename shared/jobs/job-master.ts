/**
 * The library's job master, for a Node script or a page of one's own:
 *
 *   const job = new JobMaster(manager, { source, name }, { taskTimeout: 30 });
 *   await manager.start();
 *   const summary = await job.run(tasks, { onRecord: (r) => console.log(r) });
 *
 * It registers the job (`get_job`) and its two queues on the manager (before
 * start()), then puts every task once and hands each outcome to `onRecord`
 * once (JobRun). One run per JobMaster: task indices start at 0 each run.
 */
import { ManagerStateError } from '../errors.js';
import type { Logger } from '../logger.js';
import { Queue } from '../queue/queue.js';
import type { AbortLike } from '../queue/types.js';
import { type JobBundle, JobService } from './job-service.js';
import { type JobMaster as JobHostView, type JobRecord, JobRun, type JobRunSummary } from './master-run.js';
import {
  JOB_METHODS,
  JOB_TYPEID,
  type JobDescription,
  type JobTask,
  RESULT_QUEUE_TYPEID,
  TASK_QUEUE_TYPEID,
} from './protocol.js';
import { JobResultQueue } from './result-queue.js';

/** What a JobMaster needs of its manager (a BaseManager fits). */
export interface JobHost extends JobHostView {
  register(typeid: string, callable: () => object, options?: { exposed?: readonly string[] }): unknown;
}

export interface JobMasterOptions {
  /** Seconds a task may run on a worker before it is reported as TaskTimeoutError; null (default): no limit. */
  taskTimeout?: number | null;
}

export interface JobRunOptions {
  /** Each task's outcome, once. */
  onRecord(record: JobRecord): void | Promise<void>;
  /** Seconds without any result and any worker joining or leaving, while nothing is in flight, before giving up (10). */
  timeout?: number;
  logger?: Logger;
  signal?: AbortLike;
  /** Task indices answered by an earlier run (a resumed journal): not put again. */
  answered?: ReadonlySet<number>;
}

export class JobMaster {
  readonly description: JobDescription;
  readonly taskQueue = new Queue<JobTask>();
  readonly resultQueue = new JobResultQueue();
  readonly #host: JobHost;
  /** The run under way (or done), for progress displays. */
  current: JobRun | undefined;

  constructor(host: JobHost, job: JobBundle, options: JobMasterOptions = {}) {
    this.#host = host;
    const service = new JobService(job, options.taskTimeout ?? null);
    this.description = service.describe();
    host.register(JOB_TYPEID, () => service, { exposed: JOB_METHODS });
    host.register(TASK_QUEUE_TYPEID, () => this.taskQueue);
    host.register(RESULT_QUEUE_TYPEID, () => this.resultQueue);
  }

  /** Puts `tasks`, resolves once each has a result or an error; JobStalledError when progress stopped. */
  run(tasks: readonly unknown[], options: JobRunOptions): Promise<JobRunSummary> {
    if (this.current) throw new ManagerStateError('a JobMaster runs its tasks once: make a new master for another run');
    this.current = new JobRun({
      master: this.#host,
      taskQueue: this.taskQueue,
      resultQueue: this.resultQueue,
      tasks,
      timeoutSeconds: options.timeout ?? 10,
      onRecord: options.onRecord,
      logger: options.logger,
      signal: options.signal,
      answered: options.answered,
    });
    return this.current.run();
  }
}
