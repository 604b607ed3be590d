/**
 * When a master should stop waiting for the results it is missing.
 *
 * Not after a fixed window from the last put: workers may still be starting
 * or connecting, and tasks held by a worker that died come back only once its
 * death is noticed (`deadAfter`). The master waits as long as progress is
 * possible, and gives up only on a stall in which nothing happens at all:
 *
 * - tasks in flight (leased to connected workers, whose heartbeats prove they
 *   are alive) are progress under way: never a stall;
 * - a worker connecting is progress under way: never a stall;
 * - otherwise a stall is `timeoutSeconds` without any result and without any
 *   worker joining, authenticating or leaving.
 */
import type { ManagerEvent } from './events.js';

/** The parts of a master the watch looks at (a BaseManager and its task queue fit). */
export interface WatchedMaster {
  on(listener: (event: ManagerEvent) => void): () => void;
  workers(): ReadonlyArray<{ authenticated: boolean }>;
}
export interface WatchedQueue {
  qsize(): number;
  inFlight(): number;
}

/** Longest single wait between two looks at the state (a result or an event usually comes first). */
const POLL_SECONDS = 1;

export class StallWatch {
  readonly #master: WatchedMaster;
  readonly #tasks: WatchedQueue;
  readonly #timeoutMs: number;
  readonly #unsubscribe: () => void;
  #lastActivity = performance.now();

  constructor(master: WatchedMaster, tasks: WatchedQueue, timeoutSeconds: number) {
    this.#master = master;
    this.#tasks = tasks;
    this.#timeoutMs = timeoutSeconds * 1000;
    this.#unsubscribe = master.on(() => this.activity());
  }

  /** Something happened (a result came; worker events are seen by the watch itself). */
  activity(): void {
    this.#lastActivity = performance.now();
  }

  /** Seconds to wait for the next result before looking again. */
  nextWaitSeconds(): number {
    const left = (this.#timeoutMs - (performance.now() - this.#lastActivity)) / 1000;
    return Math.min(POLL_SECONDS, Math.max(left, 0.01));
  }

  /** Why the run is stalled, or undefined while progress is possible. */
  stalled(): string | undefined {
    const inFlight = this.#tasks.inFlight();
    const workers = this.#master.workers();
    const connecting = workers.filter((w) => !w.authenticated).length;
    if (inFlight > 0 || connecting > 0) return undefined;
    const idleMs = performance.now() - this.#lastActivity;
    if (idleMs < this.#timeoutMs) return undefined;
    return (
      `nothing happened for ${this.#timeoutMs / 1000} s (no result, no worker joining or leaving): ` +
      `${this.#tasks.qsize()} task(s) queued, 0 in flight, ${workers.length} worker(s) connected`
    );
  }

  close(): void {
    this.#unsubscribe();
  }
}
