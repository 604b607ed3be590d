/**
 * The page's handle on the compute Web Worker: one promise per task, one
 * message per batch. Tasks asked for in the same turn of the event loop
 * travel together (up to MAX_COMPUTE_BATCH); the batch leaves on the next macrotask,
 * through a MessageChannel rather than setTimeout, whose 4 ms clamp would
 * cap a busy page at a few batches per frame.
 */
import type { ComputeRequest, ComputeResponse } from './compute.worker.js';

/** Most tasks in one message to the Web Worker. */
export const MAX_COMPUTE_BATCH = 512;

type Resolve = (text: string) => void;

export class Compute {
  readonly #worker: Worker;
  readonly #workMs: number;
  /** The answers awaited, by the id of their batch's first task. */
  readonly #sent = new Map<number, Resolve[]>();
  #nextId = 0;
  #queued: unknown[] = [];
  #queuedResolves: Resolve[] = [];
  readonly #wake = new MessageChannel();
  #wakePending = false;
  #largestBatch = 0;

  /** `workSeconds`: simulated work per task (0: none). */
  constructor(workSeconds = 0) {
    this.#workMs = workSeconds * 1000;
    this.#worker = new Worker(new URL('./compute.worker.ts', import.meta.url), { type: 'module', name: 'compute' });
    this.#worker.onmessage = (event: MessageEvent<ComputeResponse>) => {
      const { first, texts } = event.data;
      const resolves = this.#sent.get(first);
      this.#sent.delete(first);
      if (!resolves) return;
      for (let i = 0; i < resolves.length; i++) (resolves[i] as Resolve)(texts[i] as string);
    };
    this.#wake.port1.onmessage = () => {
      this.#wakePending = false;
      this.#send();
    };
  }

  /** The most tasks sent in one message so far. */
  get largestBatch(): number {
    return this.#largestBatch;
  }

  /** `n * n = n²`, computed in the Web Worker. */
  square(n: unknown): Promise<string> {
    const answer = new Promise<string>((resolve) => this.#queuedResolves.push(resolve));
    this.#queued.push(n);
    if (this.#queued.length >= MAX_COMPUTE_BATCH) this.#send();
    else if (!this.#wakePending) {
      this.#wakePending = true;
      this.#wake.port2.postMessage(null);
    }
    return answer;
  }

  /** Posts the queued tasks as one batch. */
  #send(): void {
    if (this.#queued.length === 0) return;
    const first = this.#nextId;
    this.#nextId += this.#queued.length;
    this.#sent.set(first, this.#queuedResolves);
    this.#largestBatch = Math.max(this.#largestBatch, this.#queued.length);
    const request: ComputeRequest = { first, ns: this.#queued, workMs: this.#workMs };
    this.#queued = [];
    this.#queuedResolves = [];
    this.#worker.postMessage(request);
  }
}
