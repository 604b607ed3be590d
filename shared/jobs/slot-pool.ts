/**
 * A pool of executors (worker threads in Node, Web Workers in the page's
 * sandbox), each running one task at a time. A task past the timeout is
 * reported as a TaskTimeoutError outcome and its executor is terminated and
 * replaced (a busy loop cannot be interrupted any other way); an executor
 * that dies mid-task reports the task as an error the same way.
 */
import { JobLoadError } from './errors.js';
import type { JobErrorInfo } from './protocol.js';
import { TASK_TIMEOUT_ERROR } from './protocol.js';
import type { JobPool, OutcomeBody } from './work-loop.js';

export interface Executor {
  /** Resolves once the job is loaded; rejects with the reason it could not be. */
  readonly ready: Promise<void>;
  /** Runs one task; rejects when the executor died meanwhile. */
  run(task: unknown): Promise<OutcomeBody>;
  terminate(): void;
}

/** A worker's reply to one `run`: an outcome by id (the messages differ only in their envelope). */
export interface OutcomeReply {
  id: number;
  result?: unknown;
  error?: JobErrorInfo;
}

/**
 * The tasks an executor has posted to its worker (thread or Web Worker),
 * waiting for their replies by id, until the worker dies: then every one
 * still waiting, and every later one, fails with the reason.
 */
export class PendingReplies {
  readonly #pending = new Map<number, { resolve(body: OutcomeBody): void; reject(err: Error): void }>();
  #nextId = 0;
  #dead: Error | undefined;

  /** Why the worker died, once it has. */
  get dead(): Error | undefined {
    return this.#dead;
  }

  /** Posts a task with `post(id)`; a task the worker cannot receive (not cloneable) is a DataCloneError outcome. */
  send(post: (id: number) => void): Promise<OutcomeBody> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        post(id);
      } catch (err) {
        this.#pending.delete(id);
        resolve({ error: { name: 'DataCloneError', message: (err as Error).message } });
      }
    });
  }

  /** A reply came: its task's outcome. */
  settle(reply: OutcomeReply): void {
    const pending = this.#pending.get(reply.id);
    this.#pending.delete(reply.id);
    pending?.resolve(reply.error ? { error: reply.error } : { result: reply.result });
  }

  /** The worker died: what waits, and what comes later, fails with `err`. */
  fail(err: Error): void {
    this.#dead ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}

interface Slot {
  executor: Executor;
  busy: boolean;
}

export class SlotPool implements JobPool {
  readonly size: number;
  readonly #create: () => Executor;
  readonly #timeoutMs: number | null;
  readonly #slots: Slot[] = [];
  readonly #queue: Array<{ task: unknown; resolve(body: OutcomeBody): void; reject(err: Error): void }> = [];
  #closed = false;
  /** Executors replaced after a timeout or a crash. */
  replaced = 0;

  /** `timeoutSeconds`: null for no limit. */
  constructor(size: number, create: () => Executor, timeoutSeconds: number | null) {
    this.size = size;
    this.#create = create;
    this.#timeoutMs = timeoutSeconds === null ? null : timeoutSeconds * 1000;
  }

  /** Starts every executor and waits until each has loaded the job. */
  async start(): Promise<void> {
    for (let i = 0; i < this.size; i++) this.#slots.push({ executor: this.#create(), busy: false });
    try {
      await Promise.all(this.#slots.map((slot) => slot.executor.ready));
    } catch (err) {
      this.close();
      throw err instanceof JobLoadError ? err : new JobLoadError(`the job does not load: ${(err as Error).message}`);
    }
  }

  run(task: unknown): Promise<OutcomeBody> {
    if (this.#closed) return Promise.reject(new Error('the job pool is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ task, resolve, reject });
      this.#dispatch();
    });
  }

  close(): void {
    this.#closed = true;
    for (const slot of this.#slots) slot.executor.terminate();
    this.#slots.length = 0;
    for (const waiting of this.#queue.splice(0)) waiting.reject(new Error('the job pool is closed'));
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.busy) continue;
      const next = this.#queue.shift();
      if (next) void this.#runOn(slot, next);
    }
  }

  async #runOn(
    slot: Slot,
    job: { task: unknown; resolve(body: OutcomeBody): void; reject(err: Error): void },
  ): Promise<void> {
    slot.busy = true;
    const executor = slot.executor;
    try {
      await executor.ready;
    } catch (err) {
      // A (replacement) executor that cannot load what loaded before: the pool is broken, not the task.
      slot.busy = false;
      job.reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<OutcomeBody | 'timeout'>((resolve) => {
      if (this.#timeoutMs !== null) timer = setTimeout(() => resolve('timeout'), this.#timeoutMs);
    });
    let body: OutcomeBody;
    let replace = false;
    try {
      const outcome = await Promise.race([executor.run(job.task), timeout]);
      if (outcome === 'timeout') {
        replace = true;
        body = {
          error: {
            name: TASK_TIMEOUT_ERROR,
            message: `the task ran past the task timeout of ${(this.#timeoutMs ?? 0) / 1000} s; its worker was replaced`,
          },
        };
      } else {
        body = outcome;
      }
    } catch (err) {
      replace = true;
      body = { error: { name: 'JobCrashedError', message: `the job's worker died: ${(err as Error).message}` } };
    } finally {
      clearTimeout(timer);
    }
    if (this.#closed) {
      job.reject(new Error('the job pool is closed'));
      return;
    }
    if (replace) {
      executor.terminate();
      this.replaced++;
      slot.executor = this.#create();
      slot.executor.ready.catch(() => {}); // seen by the next task on this slot
    }
    job.resolve(body);
    slot.busy = false;
    this.#dispatch();
  }
}
