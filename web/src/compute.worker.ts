/**
 * The computation, off the page's main thread: receives `{ id, n }`, answers
 * `{ id, text }` with `n * n = n²`. A real workload would go here.
 */
import { squareText } from '../../shared/example.js';

export interface ComputeRequest {
  id: number;
  n: unknown;
  /** Simulated work before answering, in milliseconds. */
  workMs: number;
}
export interface ComputeResponse {
  id: number;
  text: string;
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ComputeRequest>) => void) | null;
  postMessage(message: ComputeResponse): void;
};

scope.onmessage = (event) => {
  const { id, n, workMs } = event.data;
  if (workMs > 0) setTimeout(() => scope.postMessage({ id, text: squareText(n) }), workMs);
  else scope.postMessage({ id, text: squareText(n) });
};
