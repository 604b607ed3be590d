/**
 * One worker thread of `peerproc worker --job`: loads the job bundle it was
 * given, then runs one task at a time: `{ id, task }` in, `{ id, result }` or
 * `{ id, error }` out. Timeouts are the pool's business (it terminates us).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorInfo } from '../../shared/jobs/protocol.js';
import { importSource } from './bundle.js';

export interface ThreadRequest {
  id: number;
  task: unknown;
}
export type ThreadReply =
  | { type: 'ready' }
  | { type: 'load-error'; message: string }
  | { type: 'outcome'; id: number; result?: unknown; error?: { name: string; message: string } };

const port = parentPort;
if (!port) throw new Error('thread-runner.js runs only as a worker thread');

let job: (task: unknown) => unknown;
try {
  const module = await importSource((workerData as { source: string }).source);
  if (typeof module.default !== 'function') throw new Error('the job has no default-exported function');
  job = module.default as (task: unknown) => unknown;
  port.postMessage({ type: 'ready' } satisfies ThreadReply);
} catch (err) {
  port.postMessage({ type: 'load-error', message: (err as Error).message } satisfies ThreadReply);
}

port.on('message', async ({ id, task }: ThreadRequest) => {
  let reply: ThreadReply;
  try {
    reply = { type: 'outcome', id, result: await job(task) };
  } catch (err) {
    reply = { type: 'outcome', id, error: errorInfo(err) };
  }
  try {
    port.postMessage(reply);
  } catch (err) {
    // A result the structured clone cannot carry (a function, a symbol...): the job's fault, reported as such.
    port.postMessage({ type: 'outcome', id, error: errorInfo(err) } satisfies ThreadReply);
  }
});
