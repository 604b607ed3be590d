/**
 * The seed workload, shared by the benchmark's master and worker processes:
 * the classic example's queues, its tasks (random integers in 0..10000) and
 * its results (`n * n = n²`), with a checker that accounts for every task.
 */
import type { Queue } from '../../node/index.js';

export interface Jobs {
  get_task_queue: Queue<number>;
  get_result_queue: Queue<string>;
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

/** As in the classic task_master.py: random integers in 0..10000. */
export const MAX_TASK = 10_000;

export function randomTask(): number {
  return Math.floor(Math.random() * (MAX_TASK + 1));
}

/** What a worker returns for task n (task_worker.py's `'%d * %d = %d' % (n, n, n*n)`). */
export function square(n: number): string {
  return `${n} * ${n} = ${n * n}`;
}

const RESULT = /^(\d+) \* (\d+) = (\d+)$/;

/** Counts the tasks put, then ticks each result off; anything unexpected or missing is counted as bad. */
export class ResultChecker {
  readonly #outstanding = new Map<number, number>();
  #checked = 0;
  #bad = 0;

  expect(n: number): void {
    this.#outstanding.set(n, (this.#outstanding.get(n) ?? 0) + 1);
  }

  check(result: unknown): void {
    const match = typeof result === 'string' ? RESULT.exec(result) : null;
    const n = match ? Number(match[1]) : Number.NaN;
    const left = this.#outstanding.get(n) ?? 0;
    if (!match || match[1] !== match[2] || Number(match[3]) !== n * n || left === 0) {
      this.#bad++;
      return;
    }
    if (left === 1) this.#outstanding.delete(n);
    else this.#outstanding.set(n, left - 1);
    this.#checked++;
  }

  get checked(): number {
    return this.#checked;
  }

  get bad(): number {
    return this.#bad;
  }
}

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
