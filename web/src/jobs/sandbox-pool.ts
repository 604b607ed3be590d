/**
 * The worker page's side of the job sandbox: a hidden iframe without
 * allow-same-origin (an opaque origin) loading sandbox.html, which runs the
 * job in its own pool of Web Workers. Everything it sends back is checked:
 * it runs code from the network.
 */
import { JobLoadError } from '../../../shared/jobs/errors.js';
import { asJobOutcome } from '../../../shared/jobs/protocol.js';
import { SANDBOX_PAGE } from '../../../shared/jobs/sandbox-policy.js';
import type { JobPool, OutcomeBody } from '../../../shared/jobs/work-loop.js';
import type { FromSandbox, ToSandbox } from './sandbox-messages.js';

/** Most Web Workers a tab runs, whatever the core count says. */
export const MAX_WEB_WORKERS = 16;
/** How long the sandbox may take to load and to load the job in every Web Worker. */
const START_TIMEOUT_MS = 30_000;

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 1, MAX_WEB_WORKERS));
}

export class SandboxPool implements JobPool {
  readonly size: number;
  readonly #frame: HTMLIFrameElement;
  readonly #pending = new Map<number, { resolve(body: OutcomeBody): void; reject(err: Error): void }>();
  readonly #onMessage: (event: MessageEvent) => void;
  #nextId = 0;
  #broken: Error | undefined;
  #started: { resolve(): void; reject(err: Error): void } | undefined;

  private constructor(size: number) {
    this.size = size;
    this.#frame = document.createElement('iframe');
    // allow-scripts only: no allow-same-origin, so the frame is an opaque origin.
    this.#frame.setAttribute('sandbox', 'allow-scripts');
    this.#frame.hidden = true;
    this.#frame.dataset.testid = 'job-sandbox';
    this.#onMessage = (event) => {
      if (event.source !== this.#frame.contentWindow) return;
      this.#receive(event.data as FromSandbox);
    };
  }

  /** Opens the sandbox and loads `source` in `size` Web Workers; rejects with JobLoadError. */
  static async start(source: string, size: number, timeoutSeconds: number | null): Promise<SandboxPool> {
    const pool = new SandboxPool(size);
    window.addEventListener('message', pool.#onMessage);
    const started = new Promise<void>((resolve, reject) => {
      pool.#started = { resolve, reject };
    });
    const timer = setTimeout(
      () =>
        pool.#started?.reject(new JobLoadError(`the job sandbox did not start within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    pool.#pendingStart = { source, size, timeoutSeconds };
    pool.#frame.src = new URL(SANDBOX_PAGE, document.baseURI).href;
    document.body.append(pool.#frame);
    try {
      await started;
    } catch (err) {
      pool.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return pool;
  }

  #pendingStart: { source: string; size: number; timeoutSeconds: number | null } | undefined;

  run(task: unknown): Promise<OutcomeBody> {
    if (this.#broken) return Promise.reject(this.#broken);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#send({ type: 'run', id, task });
      } catch (err) {
        this.#pending.delete(id);
        resolve({ error: { name: 'DataCloneError', message: (err as Error).message } });
      }
    });
  }

  close(): void {
    window.removeEventListener('message', this.#onMessage);
    this.#frame.remove();
    this.#fail(new Error('the job sandbox was closed'));
  }

  #send(message: ToSandbox): void {
    // An opaque origin has no name to target: '*' is the only way to reach it.
    this.#frame.contentWindow?.postMessage(message, '*');
  }

  #fail(err: Error): void {
    this.#broken ??= err;
    this.#started?.reject(err);
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  #receive(message: FromSandbox): void {
    switch (message?.type) {
      case 'hello':
        if (this.#pendingStart) this.#send({ type: 'start', ...this.#pendingStart });
        this.#pendingStart = undefined;
        return;
      case 'ready':
        this.#started?.resolve();
        this.#started = undefined;
        return;
      case 'load-error':
        this.#started?.reject(new JobLoadError(`the job does not load in this browser: ${String(message.message)}`));
        this.#started = undefined;
        return;
      case 'broken':
        this.#fail(new Error(`the job sandbox broke: ${String(message.message)}`));
        return;
      case 'outcome': {
        const pending = this.#pending.get(message.id);
        if (!pending) return;
        this.#pending.delete(message.id);
        // Re-checked as network input: index 0 stands in for the one the work loop adds.
        const checked = asJobOutcome({ ...message, index: 0 });
        if (!checked)
          pending.resolve({ error: { name: 'JobSandboxError', message: 'malformed outcome from the sandbox' } });
        else pending.resolve('error' in checked ? { error: checked.error } : { result: checked.result });
        return;
      }
      default:
        return;
    }
  }
}
