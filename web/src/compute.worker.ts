/**
 * The computation, off the page's main thread: receives `{ id, n }`, answers
 * `{ id, text }` with `n * n = n²`. A real workload would go here.
 */
import { squareText } from './square.js';

export interface ComputeRequest {
  id: number;
  n: unknown;
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
  const { id, n } = event.data;
  scope.postMessage({ id, text: squareText(n) });
};
