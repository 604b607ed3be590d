/**
 * The seed workload, shared by the benchmark's master and worker processes:
 * the worked example's queues, tasks, results and checker (shared/example.ts),
 * plus the queues of the round-trip and payload probes.
 */
import type { Queue } from 'peerproc';
import type { Jobs as ExampleJobs } from '../../shared/example.js';

/** The example's two queues, and the benchmark's own. */
export interface Jobs extends ExampleJobs {
  /** Target of the RPC round-trip probe (a worker's proxy `put`). */
  get_rpc_queue: Queue<number>;
  /** The large payload, worker to master. */
  get_payload_up: Queue<Uint8Array>;
  /** The large payload, master to worker. */
  get_payload_down: Queue<Uint8Array>;
}

export const TYPEIDS = [
  'get_task_queue',
  'get_result_queue',
  'get_rpc_queue',
  'get_payload_up',
  'get_payload_down',
] as const satisfies readonly (keyof Jobs)[];

/** The example's tasks, results and checker (shared/example.ts): the benchmark runs the same workload as the CLI. */
export { ResultChecker, randomTask, squareText as square } from '../../shared/example.js';

/** A deterministic, non-trivial payload of `size` bytes (byte i = i mod 256, like baseline.py). */
export function makePayload(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i & 255;
  return bytes;
}

export function payloadIntact(bytes: unknown, size: number): boolean {
  if (!(bytes instanceof Uint8Array) || bytes.length !== size) return false;
  for (let i = 0; i < size; i++) if (bytes[i] !== (i & 255)) return false;
  return true;
}
