/** The Node worker's job pool: one worker thread per slot (SlotPool does timeouts and replacement). */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { JobLoadError } from '../../shared/jobs/errors.js';
import { MAX_ERROR_MESSAGE } from '../../shared/jobs/protocol.js';
import { type Executor, PendingReplies, SlotPool } from '../../shared/jobs/slot-pool.js';
import type { OutcomeBody } from '../../shared/jobs/work-loop.js';

/** What a thread sends back. */
type ThreadReply =
  | { type: 'ready' }
  | { type: 'load-error'; message: string }
  | { type: 'outcome'; id: number; result?: unknown; error?: { name: string; message: string } };

/**
 * The code of each thread, as text (evaluated, so it needs no file beside the
 * compiled one, and runs the same from sources under a test runner): loads the
 * bundle from a data: URL, then runs one `{ id, task }` at a time and answers
 * `{ id, result }` or `{ id, error }`. Timeouts are the pool's business: it
 * terminates the thread.
 */
const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const info = (err) => ({
  name: err && typeof err.name === 'string' && err.name !== '' ? err.name.slice(0, 200) : 'Error',
  message: String(err && typeof err === 'object' && 'message' in err ? err.message : err).slice(0, ${MAX_ERROR_MESSAGE}),
});
const url = 'data:text/javascript;base64,' + Buffer.from(workerData.source).toString('base64');
import(url).then(
  (module) => {
    if (typeof module.default !== 'function') throw new TypeError('the job has no default-exported function');
    const job = module.default;
    parentPort.on('message', async ({ id, task }) => {
      let reply;
      try {
        reply = { type: 'outcome', id, result: await job(task) };
      } catch (err) {
        reply = { type: 'outcome', id, error: info(err) };
      }
      try {
        parentPort.postMessage(reply);
      } catch (err) {
        // A result the structured clone cannot carry (a function, a symbol...): the job's fault.
        parentPort.postMessage({ type: 'outcome', id, error: info(err) });
      }
    });
    parentPort.postMessage({ type: 'ready' });
  },
).catch((err) => parentPort.postMessage({ type: 'load-error', message: info(err).message }));
`;

export function defaultThreads(): number {
  return availableParallelism();
}

class ThreadExecutor implements Executor {
  readonly ready: Promise<void>;
  readonly #worker: Worker;
  readonly #replies = new PendingReplies();

  constructor(source: string) {
    this.#worker = new Worker(THREAD_CODE, { eval: true, workerData: { source } });
    this.#worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.#worker.on('message', (reply: ThreadReply) => {
        if (reply.type === 'ready') resolve();
        else if (reply.type === 'load-error') reject(new JobLoadError(`the job does not load: ${reply.message}`));
        else this.#replies.settle(reply);
      });
      const die = (err: Error) => {
        this.#replies.fail(err);
        reject(err);
      };
      this.#worker.on('error', die);
      this.#worker.on('exit', (code) => die(new Error(`worker thread exited with code ${code}`)));
    });
    this.ready.catch(() => {});
  }

  run(task: unknown): Promise<OutcomeBody> {
    return this.#replies.send((id) => this.#worker.postMessage({ id, task }));
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
