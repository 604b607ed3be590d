/**
 * A bridge that puts WebRTC workers (Node, browsers) behind an unmodified
 * CPython master: a CPython client on one side (PythonManagerClient, as a
 * Python worker would be), a peerproc master hosting a room on the other.
 *
 *   Python task queue --pullers--> local task Queue (bounded) --WebRTC--> workers
 *   Python result queue <--pushers-- local result Queue <--WebRTC-- workers
 *
 * Delivery: the local queues are ordinary peerproc queues, so tasks a WebRTC
 * worker takes are leased to it and come back to the head of the local queue
 * if it dies before returning their results; the bridge forwards each task's
 * result to Python once (a late duplicate of a redelivered task is dropped).
 * The local task queue is bounded (`buffer`), so the bridge holds only a
 * small window of the Python master's tasks and leaves the rest in Python's
 * queue for whoever else serves it. When the bridge is closed while the
 * Python master is still up, tasks it holds and no worker finished go back
 * to the Python master's queue. Python's queues have no acknowledgement: if
 * the bridge process itself dies, what it held (buffer, leased tasks,
 * results not yet forwarded) is lost, as for any CPython worker.
 */
import { ConnectionClosedError, Empty } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { BaseManager } from '../../shared/manager/manager.js';
import type { LeasedEntry } from '../../shared/queue/leases.js';
import { Queue, type QueueEntry } from '../../shared/queue/queue.js';
import { PythonManagerClient, type PythonManagerClientOptions } from './client.js';
import type { PyValue } from './pickle/index.js';
import type { PythonProxy } from './proxy.js';

/**
 * Local task buffer by default: enough to keep the room's workers busy between
 * pulls from the Python master. (Sized as two prefetch windows when the window
 * was 64; a worker's window, now up to DEFAULT_PREFETCH, grows only while
 * the buffer has plenty, so this bounds it instead.)
 */
export const DEFAULT_BRIDGE_BUFFER = 128;
/**
 * Concurrent `get`s on the Python task queue (each on its own connection).
 * One round trip per task (about 60 µs) caps a single puller near 15,000
 * tasks/s; a few in parallel keep the buffer full for many workers.
 */
const PULLERS = 4;
/** Concurrent `put`s of results to Python, for the same reason. */
const PUSHERS = 4;
/** Seconds a puller waits on the Python queue before checking whether the bridge is closing. */
const PULL_TIMEOUT_SECONDS = 1;

export interface PythonBridgeOptions {
  /** Python typeids of the two queues (default `get_task_queue` / `get_result_queue`), also the room's names. */
  taskTypeid?: string;
  resultTypeid?: string;
  /** Most tasks pulled from Python ahead of the workers (default 128). */
  buffer?: number;
  logger?: Logger;
}

export interface BridgeStats {
  /** Tasks taken from the Python master. */
  tasksIn: number;
  /** Results put on the Python master's result queue. */
  resultsOut: number;
  /** Times a task came back because the worker holding it was lost. */
  redeliveries: number;
  /** Results of redelivered tasks that had been answered already (not forwarded). */
  duplicatesDropped: number;
  /** Tasks given back to the Python master's queue when the bridge closed. */
  tasksReturned: number;
}

/** Why the bridge ended: the Python master went away (or shut down), or `close()` was called. */
export type BridgeEnd = 'python-master-gone' | 'closed';

/** The local task queue: remembers which tasks were redelivered, to drop a late duplicate result. */
class BridgeTaskQueue extends Queue<PyValue> {
  readonly redelivered = new Set<number>();

  override redeliver(leased: LeasedEntry, reason: string): void {
    this.redelivered.add(leased.id);
    super.redeliver(leased, reason);
  }
}

export class PythonBridge {
  readonly manager: BaseManager<Record<string, Queue<PyValue>>>;
  /** The room's queues (the local side of the bridge). */
  readonly tasks: BridgeTaskQueue;
  readonly results = new Queue<PyValue>();
  /** Resolves when the bridge has ended and the room is shut down. */
  readonly done: Promise<BridgeEnd>;
  readonly #client: PythonManagerClient;
  readonly #logger: Logger | undefined;
  /** Aborted when the bridge starts to end: pullers stop (a puller blocked on a full buffer gives its item back). */
  readonly #stopPulling = new AbortController();
  /** Aborted once the room is shut down: no result can arrive any more, pushers drain what is left. */
  readonly #stopPushing = new AbortController();
  readonly #stats = { tasksIn: 0, resultsOut: 0, duplicatesDropped: 0, tasksReturned: 0 };
  /** Redelivered tasks whose result was forwarded already. */
  readonly #answered = new Set<number>();
  #end: BridgeEnd | undefined;
  #finish!: (end: BridgeEnd) => void;

  private constructor(
    manager: BaseManager<Record<string, Queue<PyValue>>>,
    client: PythonManagerClient,
    options: PythonBridgeOptions,
  ) {
    this.manager = manager;
    this.#client = client;
    this.#logger = options.logger;
    const buffer = options.buffer ?? DEFAULT_BRIDGE_BUFFER;
    if (!Number.isInteger(buffer) || buffer < 1) {
      throw new TypeError(`'buffer' must be an integer of at least 1, got ${String(buffer)}`);
    }
    this.tasks = new BridgeTaskQueue({ maxsize: buffer });
    this.done = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  /**
   * Connects to the Python master (rejects on a wrong authkey or an absent
   * master), registers its two queues on `manager` (a new, not yet started
   * peerproc manager), starts the room and the forwarding.
   */
  static async start(
    // biome-ignore lint/suspicious/noExplicitAny: a fresh manager of any declared shape.
    manager: BaseManager<any>,
    python: PythonManagerClientOptions,
    options: PythonBridgeOptions = {},
  ): Promise<PythonBridge> {
    const client = new PythonManagerClient(python);
    const bridge = new PythonBridge(manager, client, options);
    try {
      await client.connect();
      const pyTasks = await client.proxy(options.taskTypeid ?? 'get_task_queue');
      const pyResults = await client.proxy(options.resultTypeid ?? 'get_result_queue');
      manager.register(options.taskTypeid ?? 'get_task_queue', () => bridge.tasks);
      manager.register(options.resultTypeid ?? 'get_result_queue', () => bridge.results);
      await manager.start();
      bridge.#run(pyTasks, pyResults);
    } catch (err) {
      await client.close();
      throw err;
    }
    return bridge;
  }

  get stats(): BridgeStats {
    return { ...this.#stats, redeliveries: this.tasks.redeliveries };
  }

  /** Stops forwarding, shuts the room down, and gives unfinished tasks back to the Python master. */
  async close(): Promise<BridgeEnd> {
    this.#stopWith('closed');
    return this.done;
  }

  #stopWith(end: BridgeEnd): void {
    if (this.#end) return;
    this.#end = end;
    this.#stopPulling.abort();
  }

  #run(pyTasks: PythonProxy, pyResults: PythonProxy): void {
    const pullers = Array.from({ length: PULLERS }, () => this.#pull(pyTasks));
    const pushers = Array.from({ length: PUSHERS }, () => this.#push(pyResults));
    void (async () => {
      try {
        await Promise.all(pullers);
        // The room closes first: workers are told, and their leases come back to the local queue.
        await this.manager.shutdown();
        this.#stopPushing.abort();
        await Promise.all(pushers);
        if (this.#end === 'closed') await this.#giveBack(pyTasks);
      } catch (err) {
        this.#logger?.warn(`bridge: ${String(err)}`);
      } finally {
        this.#stopPushing.abort();
        await this.#client.close().catch(() => {});
        this.#finish(this.#end ?? 'closed');
      }
    })();
  }

  /** Python task queue -> local buffer, until the bridge stops or the Python master goes away. */
  async #pull(pyTasks: PythonProxy): Promise<void> {
    while (!this.#end) {
      let item: PyValue;
      try {
        // Not cancelled by close(): a cancelled CPython get can lose the item it takes (see client.ts).
        item = (await pyTasks.get({ timeout: PULL_TIMEOUT_SECONDS })) as PyValue;
      } catch (err) {
        if (err instanceof Empty) continue;
        if (!this.#end) {
          if (!(err instanceof ConnectionClosedError)) this.#logger?.warn(`bridge: python task queue: ${String(err)}`);
          this.#stopWith('python-master-gone');
        }
        return;
      }
      this.#stats.tasksIn++;
      try {
        await this.tasks.put(item, { signal: this.#stopPulling.signal });
      } catch {
        // Closing while the buffer was full: the item is given back with the rest.
        this.tasks.requeue(item);
        return;
      }
    }
  }

  /** Local results -> Python result queue, each task answered once. */
  async #push(pyResults: PythonProxy): Promise<void> {
    for (;;) {
      let entry: QueueEntry<PyValue>;
      try {
        // Once the room is closed, only what is already there.
        const stopped = this.#stopPushing.signal;
        entry = stopped.aborted
          ? await this.results.getEntry({ block: false })
          : await this.results.getEntry({ signal: stopped });
      } catch {
        if (this.#stopPushing.signal.aborted && this.results.empty()) return;
        continue;
      }
      if (!this.#firstAnswer(entry)) continue;
      try {
        await pyResults.put(entry.value);
        this.#stats.resultsOut++;
      } catch (err) {
        this.#logger?.warn(`bridge: could not return a result to the Python master: ${String(err)}`);
        this.#stopWith('python-master-gone');
        return;
      }
    }
  }

  /** False for a second result of a redelivered task (its first already went to Python). */
  #firstAnswer(entry: QueueEntry<PyValue>): boolean {
    const task = entry.answers;
    if (task === undefined || !this.tasks.redelivered.has(task)) return true;
    if (this.#answered.has(task)) {
      this.#stats.duplicatesDropped++;
      return false;
    }
    this.#answered.add(task);
    return true;
  }

  /** Closing with the Python master still up: tasks no worker finished go back to its queue. */
  async #giveBack(pyTasks: PythonProxy): Promise<void> {
    for (;;) {
      let item: PyValue;
      try {
        item = this.tasks.getNowait();
      } catch {
        return;
      }
      try {
        await pyTasks.put(item);
        this.#stats.tasksReturned++;
      } catch (err) {
        this.#logger?.warn(`bridge: could not give tasks back to the Python master: ${String(err)}`);
        return;
      }
    }
  }
}
