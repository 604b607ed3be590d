/**
 * The job sandbox (sandbox.html, an iframe without allow-same-origin, under
 * the policy of shared/jobs/sandbox-policy.ts): runs the job in a pool of Web
 * Workers made from a blob: URL, one task per Web Worker at a time. A task
 * past the timeout gets a TaskTimeoutError outcome and its Web Worker is
 * terminated and replaced (SlotPool). Built by the page build (vite.config.ts)
 * into one inline classic script, without esbuild's keepNames: `runner` is
 * turned into text, and must not call helpers that live outside it.
 */
import { type Executor, PendingReplies, SlotPool } from '../../../shared/jobs/slot-pool.js';
import type { OutcomeBody } from '../../../shared/jobs/work-loop.js';
import type { FromRunner, FromSandbox, ToRunner, ToSandbox } from './sandbox-messages.js';

/**
 * The code of each Web Worker, as text (it must be self-contained: it is
 * turned into a blob). It imports the job bundle from a blob: URL of its own.
 */
function runner(): void {
  const scope = self as unknown as {
    onmessage: ((event: MessageEvent<ToRunner>) => void) | null;
    postMessage(message: FromRunner): void;
  };
  let job: ((task: unknown) => unknown) | undefined;
  const info = (err: unknown) => {
    const e = err as { name?: unknown; message?: unknown } | null;
    return {
      name: typeof e?.name === 'string' ? e.name : 'Error',
      message: String(e && typeof e === 'object' && 'message' in e ? e.message : err).slice(0, 2000),
    };
  };
  scope.onmessage = async (event) => {
    const message = event.data;
    if (message.type === 'load') {
      try {
        const url = URL.createObjectURL(new Blob([message.source], { type: 'text/javascript' }));
        const module = await import(/* @vite-ignore */ url);
        if (typeof module.default !== 'function') throw new TypeError('the job has no default-exported function');
        job = module.default;
        scope.postMessage({ type: 'ready' });
      } catch (err) {
        scope.postMessage({ type: 'load-error', message: info(err).message });
      }
      return;
    }
    try {
      const result = await (job as (task: unknown) => unknown)(message.task);
      try {
        scope.postMessage({ type: 'outcome', id: message.id, result });
      } catch (err) {
        scope.postMessage({ type: 'outcome', id: message.id, error: info(err) });
      }
    } catch (err) {
      scope.postMessage({ type: 'outcome', id: message.id, error: info(err) });
    }
  };
}

const RUNNER_URL = URL.createObjectURL(new Blob([`(${runner.toString()})()`], { type: 'text/javascript' }));

class WebWorkerExecutor implements Executor {
  readonly ready: Promise<void>;
  readonly #worker: Worker;
  readonly #replies = new PendingReplies();

  constructor(source: string) {
    // A classic worker: module workers from a blob: URL do not start in an opaque origin (their script
    // fetch needs CORS); the job itself is still an ES module, import()ed from a blob: inside the worker.
    this.#worker = new Worker(RUNNER_URL, { name: 'job' });
    this.ready = new Promise((resolve, reject) => {
      this.#worker.onmessage = (event: MessageEvent<FromRunner>) => {
        const reply = event.data;
        if (reply.type === 'ready') resolve();
        else if (reply.type === 'load-error') reject(new Error(reply.message));
        else this.#replies.settle(reply);
      };
      this.#worker.onerror = (event) => {
        event.preventDefault();
        const err = new Error(
          event.message || `the Web Worker failed${event.filename ? ` (${event.filename}:${event.lineno})` : ''}`,
        );
        this.#replies.fail(err);
        reject(err);
      };
    });
    this.ready.catch(() => {});
    this.#worker.postMessage({ type: 'load', source } satisfies ToRunner);
  }

  run(task: unknown): Promise<OutcomeBody> {
    const dead = this.#replies.dead;
    if (dead) return Promise.reject(dead);
    // A Web Worker that dies mid-task reports the task as crashed (the pool then replaces it).
    return this.#replies
      .send((id) => this.#worker.postMessage({ type: 'run', id, task } satisfies ToRunner))
      .catch((err: Error) => ({ error: { name: 'JobCrashedError', message: err.message } }));
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

const toPage = (message: FromSandbox) => parent.postMessage(message, '*');
let pool: SlotPool | undefined;

window.addEventListener('message', (event: MessageEvent<ToSandbox>) => {
  // Only the page that embeds us talks to us.
  if (event.source !== parent) return;
  const message = event.data;
  if (message?.type === 'start' && pool === undefined) {
    const created = new SlotPool(message.size, () => new WebWorkerExecutor(message.source), message.timeoutSeconds);
    pool = created;
    created.start().then(
      () => toPage({ type: 'ready' }),
      (err: Error) => toPage({ type: 'load-error', message: err.message }),
    );
  } else if (message?.type === 'run' && pool !== undefined) {
    const { id } = message;
    pool.run(message.task).then(
      (body) => {
        try {
          toPage({ type: 'outcome', id, ...body });
        } catch (err) {
          toPage({ type: 'outcome', id, error: { name: 'DataCloneError', message: (err as Error).message } });
        }
      },
      (err: Error) => toPage({ type: 'broken', message: err.message }),
    );
  }
});

toPage({ type: 'hello' });
