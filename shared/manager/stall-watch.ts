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
 *   worker joining, authenticating or leaving, counted from when the last
 *   progress under way ended (seen within POLL_SECONDS): workers whose
 *   connection attempts time out together (20 % packet loss) leave no event,
 *   and they retry, so their attempts' end must not find the timeout already
 *   spent.
 */
import { Empty } from '../errors.js';
import type { QueueEntry } from '../queue/entries.js';
import type { AbortLike } from '../queue/types.js';
import type { ManagerEvent } from './events.js';

/** The parts of a master the watch looks at (a BaseManager and its task queue fit). */
export interface WatchedMaster {
  on(listener: (event: ManagerEvent) => void): () => void;
  workers(): ReadonlyArray<{ authenticated: boolean }>;
}
export interface WatchedQueue {
  qsize(): number;
  inFlight(): number;
  /** Tasks given up after `maxDeliveries`: their results will never come. */
  readonly deadLetters: { qsize(): number };
  readonly maxDeliveries: number;
}

/** Where the results come from (a Queue, or a job's result queue). */
export interface ResultSource<T> {
  getEntry(options: { timeout: number; signal?: AbortLike }): Promise<QueueEntry<T>>;
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

  /**
   * The next result, by the stall rule: resolves with the entry (and counts
   * it as activity), or with the reason the run stalled, as a string. A
   * `signal` that aborts rejects, as the queue's get does.
   */
  async next<T>(results: ResultSource<T>, signal?: AbortLike): Promise<QueueEntry<T> | string> {
    for (;;) {
      try {
        const entry = await results.getEntry({ timeout: this.nextWaitSeconds(), signal });
        this.activity();
        return entry;
      } catch (err) {
        if (!(err instanceof Empty) || signal?.aborted) throw err;
      }
      const stall = this.stalled();
      if (stall !== undefined) return stall;
    }
  }

  /**
   * Why the run is stalled, or undefined while progress is possible. Progress under way (tasks in flight, a
   * worker connecting) counts as activity here, so the timeout runs from when it ended.
   */
  stalled(): string | undefined {
    const inFlight = this.#tasks.inFlight();
    const workers = this.#master.workers();
    const connecting = workers.filter((w) => !w.authenticated).length;
    if (inFlight > 0 || connecting > 0) {
      this.activity();
      return undefined;
    }
    const idleMs = performance.now() - this.#lastActivity;
    if (idleMs < this.#timeoutMs) return undefined;
    const dead = this.#tasks.deadLetters.qsize();
    return (
      `nothing happened for ${this.#timeoutMs / 1000} s (no result, no worker joining or leaving): ` +
      `${this.#tasks.qsize()} task(s) queued, 0 in flight, ${workers.length} worker(s) connected` +
      (dead > 0 ? `, ${dead} task(s) given up after ${this.#tasks.maxDeliveries} deliveries` : '')
    );
  }

  close(): void {
    this.#unsubscribe();
  }
}
