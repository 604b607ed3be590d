/**
 * A worker's job loop, the same for `peerproc worker --job` (worker threads)
 * and the worker page (Web Workers in a sandbox): keeps up to `pool.size`
 * tasks running at once and returns their outcomes in the order the tasks
 * were taken.
 *
 * Why in order: a worker's `put` acknowledges the oldest task it holds (see
 * shared/queue/leases.ts). Committing results in take order makes every put
 * acknowledge exactly the task it answers, so a worker that dies holding
 * tasks gets each unanswered one redelivered, and nothing else. Computing
 * still runs in parallel; only the (cheap) puts wait for the slowest task
 * ahead of them. Gets are made one at a time for the same reason: the order
 * they resolve in is the order of the leases.
 */
import { Empty, ProtocolError } from '../errors.js';
import { asJobTask, type JobErrorInfo, type JobOutcome, type JobTask } from './protocol.js';

/** What running one task gives: its result, or the error it threw (or timed out with). */
export type OutcomeBody = { result: unknown } | { error: JobErrorInfo };

/** Runs tasks in parallel. `run` resolves with the outcome; it rejects only when the pool itself broke. */
export interface JobPool {
  readonly size: number;
  run(task: unknown): Promise<OutcomeBody>;
}

export interface WorkLoopOptions {
  task: { get(options: { timeout: number }): Promise<unknown> };
  result: { put(outcome: JobOutcome): Promise<void> };
  pool: JobPool;
  /** Seconds one `get` waits before Empty. */
  pollSeconds: number;
  /** Seconds the first `get` waits (default pollSeconds): a worker that joined before the master began putting. */
  firstPollSeconds?: number;
  /** On Empty: true keeps polling (a page stays available); false ends the loop once its own tasks are returned. */
  keepPolling: boolean;
  stopped?: () => boolean;
  /** True when tasks come in, false when the queue ran dry. */
  onBusy?(busy: boolean): void;
  /** After each outcome is in the master's result queue. */
  onOutcome?(outcome: JobOutcome, task: JobTask): void;
}

/** Resolves when the queue is drained (keepPolling false) or `stopped()`; rejects when the session broke. */
export async function runWorkLoop(options: WorkLoopOptions): Promise<void> {
  const { task, result, pool, pollSeconds, keepPolling } = options;
  let failure: Error | undefined;
  let running = 0;
  let chain: Promise<void> = Promise.resolve();
  let wake: (() => void) | undefined;
  const changed = () => new Promise<void>((resolve) => (wake = resolve));
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let busy: boolean | undefined;
  let gotTask = false;
  const setBusy = (value: boolean) => {
    if (busy !== value) {
      busy = value;
      options.onBusy?.(value);
    }
  };

  for (;;) {
    if (failure) throw failure;
    if (options.stopped?.()) return;
    while (running >= pool.size && !failure) await changed();
    if (failure) throw failure;
    let value: unknown;
    try {
      value = await task.get({ timeout: gotTask ? pollSeconds : (options.firstPollSeconds ?? pollSeconds) });
    } catch (err) {
      if (!(err instanceof Empty)) throw err;
      if (running === 0) setBusy(false);
      if (keepPolling) continue;
      await chain;
      if (failure) throw failure;
      return;
    }
    gotTask = true;
    const jobTask = asJobTask(value);
    if (!jobTask) throw new ProtocolError(`the master sent a task that is not {index, task}: ${describe(value)}`);
    setBusy(true);
    running++;
    const outcome = pool.run(jobTask.task).then((body): JobOutcome => ({ index: jobTask.index, ...body }));
    // Keep the rejection handled until the chain gets to it.
    outcome.catch(() => {});
    chain = chain
      .then(() => outcome)
      .then(async (done) => {
        await result.put(done);
        running--;
        options.onOutcome?.(done, jobTask);
        notify();
      })
      .catch((err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(String(err));
        notify();
      });
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 100) ?? String(value);
  } catch {
    return typeof value;
  }
}
