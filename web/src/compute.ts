/** The page's handle on the compute Web Worker: one promise per task. */
import type { ComputeRequest, ComputeResponse } from './compute.worker.js';

export class Compute {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (text: string) => void>();
  #nextId = 0;
  readonly #workMs: number;

  /** `workSeconds`: simulated work per task (0: none). */
  constructor(workSeconds = 0) {
    this.#workMs = workSeconds * 1000;
    this.#worker = new Worker(new URL('./compute.worker.ts', import.meta.url), { type: 'module', name: 'compute' });
    this.#worker.onmessage = (event: MessageEvent<ComputeResponse>) => {
      const resolve = this.#pending.get(event.data.id);
      this.#pending.delete(event.data.id);
      resolve?.(event.data.text);
    };
  }

  /** `n * n = n²`, computed in the Web Worker. */
  square(n: unknown): Promise<string> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      const request: ComputeRequest = { id, n, workMs: this.#workMs };
      this.#worker.postMessage(request);
    });
  }
}
