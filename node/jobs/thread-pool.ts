/** The Node worker's job pool: one worker thread per slot (SlotPool does timeouts and replacement). */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { JobLoadError } from '../../shared/jobs/errors.js';
import { type Executor, SlotPool } from '../../shared/jobs/slot-pool.js';
import type { OutcomeBody } from '../../shared/jobs/work-loop.js';
import type { ThreadReply } from './thread-runner.js';

const RUNNER = new URL('./thread-runner.js', import.meta.url);

export function defaultThreads(): number {
  return availableParallelism();
}

class ThreadExecutor implements Executor {
  readonly ready: Promise<void>;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(body: OutcomeBody): void; reject(err: Error): void }>();
  #nextId = 0;
  #dead: Error | undefined;

  constructor(source: string) {
    this.#worker = new Worker(RUNNER, { workerData: { source } });
    this.#worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.#worker.on('message', (reply: ThreadReply) => {
        if (reply.type === 'ready') resolve();
        else if (reply.type === 'load-error') reject(new JobLoadError(`the job does not load: ${reply.message}`));
        else {
          const pending = this.#pending.get(reply.id);
          this.#pending.delete(reply.id);
          pending?.resolve(reply.error ? { error: reply.error } : { result: reply.result });
        }
      });
      const die = (err: Error) => {
        this.#dead ??= err;
        reject(err);
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      };
      this.#worker.on('error', die);
      this.#worker.on('exit', (code) => die(new Error(`worker thread exited with code ${code}`)));
    });
    this.ready.catch(() => {});
  }

  run(task: unknown): Promise<OutcomeBody> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ id, task });
      } catch (err) {
        this.#pending.delete(id);
        resolve({ error: { name: 'DataCloneError', message: (err as Error).message } });
      }
    });
  }

  terminate(): void {
    void this.#worker.terminate();
  }
}

/** Starts `threads` worker threads running `source`; rejects with JobLoadError when it does not load. */
export async function startThreadPool(
  source: string,
  threads: number,
  timeoutSeconds: number | null,
): Promise<SlotPool> {
  const pool = new SlotPool(threads, () => new ThreadExecutor(source), timeoutSeconds);
  await pool.start();
  return pool;
}
