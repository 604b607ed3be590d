/**
 * The computation, off the page's main thread: receives a batch of tasks
 * `{ first, ns }` and answers `{ first, texts }` with `n * n = n²` for each,
 * in order. One message per batch, not per task: a message between the page
 * and a Web Worker costs tens of microseconds, the square itself almost
 * nothing. A real workload would go here.
 */
import { squareText } from '../../shared/example.js';

export interface ComputeRequest {
  /** The id of the batch's first task; the others follow it (first + 1, …). */
  first: number;
  ns: unknown[];
  /** Simulated work per task before answering, in milliseconds. */
  workMs: number;
}
export interface ComputeResponse {
  first: number;
  texts: string[];
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ComputeRequest>) => void) | null;
  postMessage(message: ComputeResponse): void;
};

scope.onmessage = (event) => {
  const { first, ns, workMs } = event.data;
  const answer = () => scope.postMessage({ first, texts: ns.map((n) => squareText(n)) });
  // Simulated work is one task after another, as on one core.
  if (workMs > 0) setTimeout(answer, workMs * ns.length);
  else answer();
};
