/**
 * Queues with the semantics of Python's `queue.Queue` (and so also
 * `multiprocessing.JoinableQueue`: `taskDone()` and `join()`), usable locally
 * and through proxies.
 *
 * Blocking calls return promises; timeouts are in seconds, as in Python.
 * `get()` with `block: false` (or `getNowait()`) raises `Empty`; `put()` on a
 * full bounded queue with `block: false` (or `putNowait()`) raises `Full`.
 *
 * `shutdown(immediate)` is Python 3.13's `Queue.shutdown`: puts fail with
 * `ShutDown`, and gets too once the queue is empty (at once with `immediate`,
 * which also drops what is left and releases `join()`).
 *
 * Items taken by remote peers are leased until acknowledged (see leases.ts);
 * every item carries an id, its delivery count, and the id of the item it
 * answers (`getEntry()`), so a master can report each task's result once.
 */
import { Empty, Full, ShutDown } from '../errors.js';
import { type RemoteCallContext, remoteCall, remoteFeatures, remoteInternals, remoteTally } from '../rpc/served.js';
import { checkInteger, checkTimeout } from './checks.js';
import { Deque } from './deque.js';
import { type DeadLetter, newEntry, type QueueEntry } from './entries.js';
import { turnIfDue } from './event-loop-turns.js';
import type { LeasedEntry, LeaseOwner } from './leases.js';
import { type QueueInsides, QueueService, type RemoteGetter, SERVED_INTERNALS, tallyQueueCall } from './serve.js';
import type { AbortLike, BlockingOptions } from './types.js';

export type { DeadLetter, QueueEntry } from './entries.js';
export type { AbortLike, BlockingOptions } from './types.js';

export interface QueueOptions {
  /** Capacity; 0 or less means unbounded (as in Python). */
  maxsize?: number;
  /** Deliveries after which an unacknowledged item goes to `deadLetters` (default 5). */
  maxDeliveries?: number;
  /** Seconds a remote peer may hold an item unacknowledged before it is redelivered; null (default): until its connection ends. */
  leaseTimeout?: number | null;
}

export const DEFAULT_MAX_DELIVERIES = 5;

const RESOLVED: Promise<void> = Promise.resolve();

interface Waiter<V> {
  resolve(value: V): void;
  reject(err: Error): void;
}

interface Putter<T> extends Waiter<void> {
  entry: QueueEntry<T>;
}

/**
 * A waiting `get`; a remote peer's carries a RemoteGetter (serve.ts). Its
 * timeout means "nothing queued and nothing in flight": while other peers
 * hold leases on this queue, those items may come back (their holder died),
 * so Empty waits until `hold()` turns false. A silent peer (`heardFrom()`
 * false) gets items only if no other getter waits.
 */
interface Getter<T> extends Waiter<QueueEntry<T>>, Partial<RemoteGetter> {}

function first<V>(set: Set<V>): V | undefined {
  // Asked for every item taken, nearly always of an empty set (no putter waits): no iterator for that.
  if (set.size === 0) return undefined;
  for (const value of set) return value;
  return undefined;
}

/**
 * The getter an item goes to: the longest-waiting one whose peer is not
 * silent. A worker SIGKILLed while its `get` waited here stays in the set
 * until its death is declared; handing it the item would only strand it again.
 */
function liveGetter<T>(getters: Set<Getter<T>>): Getter<T> | undefined {
  if (getters.size === 0) return undefined;
  let fallback: Getter<T> | undefined;
  for (const getter of getters) {
    if (!getter.heardFrom || getter.heardFrom()) return getter;
    fallback ??= getter;
  }
  return fallback;
}

/**
 * Waits in `waiters` until settled, the timeout passes (rejects with
 * `onTimeout(waiter)`, or keeps waiting if that returns undefined: the waiter
 * is then settled by someone else), or the signal aborts. Always removes
 * itself from `waiters`.
 */
function wait<V, W extends Waiter<V>>(
  waiters: Set<W>,
  make: (waiter: Waiter<V>) => W,
  timeout: number | null,
  signal: AbortLike | undefined,
  onTimeout: (waiter: W) => Error | undefined,
): Promise<V> {
  return new Promise<V>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = (): void => {
      waiters.delete(waiter);
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      cleanup();
      reject(new Empty('wait cancelled: the caller went away'));
    };
    const waiter = make({
      resolve: (value) => {
        cleanup();
        resolve(value);
      },
      reject: (err) => {
        cleanup();
        reject(err);
      },
    });
    waiters.add(waiter);
    if (timeout !== null) {
      timer = setTimeout(() => {
        timer = undefined;
        const err = onTimeout(waiter);
        if (err === undefined) return;
        cleanup();
        reject(err);
      }, timeout * 1000);
    }
    signal?.addEventListener('abort', onAbort);
  });
}

export class Queue<T> implements LeaseOwner {
  /** Capacity; 0 or less means unbounded (as in Python). */
  readonly maxsize: number;
  readonly maxDeliveries: number;
  readonly leaseTimeout: number | null;
  readonly #items = new Deque<QueueEntry<T>>();
  readonly #getters = new Set<Getter<T>>();
  readonly #putters = new Set<Putter<T>>();
  #unfinished = 0;
  #joiners: Array<() => void> = [];
  #deadLetters: Queue<DeadLetter<T>> | undefined;
  #redeliveries = 0;
  /** Items delivered to remote peers and neither acknowledged nor returned yet. */
  #inFlight = 0;
  /** Getters whose timeout passed while items were in flight; settled ones are dropped lazily. */
  readonly #overdue = new Set<Getter<T>>();
  #shutdown = false;
  /** Created on a peer's first call: a queue used only locally never needs it. */
  #service: QueueService<T> | undefined;

  /** `new Queue()`, `new Queue(100)` (maxsize, as in Python) or `new Queue({ maxsize, maxDeliveries, leaseTimeout })`. */
  constructor(options: number | QueueOptions = {}) {
    const o = typeof options === 'number' ? { maxsize: options } : options;
    this.maxsize = checkInteger('maxsize', o.maxsize ?? 0, Number.MIN_SAFE_INTEGER);
    this.maxDeliveries = checkInteger('maxDeliveries', o.maxDeliveries ?? DEFAULT_MAX_DELIVERIES, 1);
    this.leaseTimeout = o.leaseTimeout === undefined ? null : checkTimeout(o.leaseTimeout);
  }

  qsize(): number {
    return this.#items.length;
  }

  empty(): boolean {
    return this.#items.length === 0;
  }

  full(): boolean {
    return this.maxsize > 0 && this.#items.length >= this.maxsize;
  }

  /**
   * Items taken by remote peers and not yet acknowledged: they may still come
   * back (their holder dies) until a result or `taskDone()` settles them.
   * With `qsize()`, it tells whether the work is done: nothing queued and
   * nothing in flight.
   */
  inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Remote peers with a get waiting on this queue now: workers ready for
   * their next item (a peer's concurrent gets count once). A master that
   * waits for enough of them before putting a short run (the CLI's
   * `--min-workers`) gives each a part of it.
   */
  waitingPeers(): number {
    const callers = new Set<object>();
    for (const getter of this.#getters) if (getter.caller) callers.add(getter.caller);
    return callers.size;
  }

  /** Adds `item`, waiting for room in a full bounded queue unless `block` is false. */
  put(item: T, options: BlockingOptions = {}): Promise<void> {
    // Fast path, no async machinery: the item fits now (the master's put loop runs here).
    // A long run of them still lets the event loop turn, so workers can connect meanwhile.
    if (options.timeout === undefined && !this.#shutdown && this.#offer(newEntry(item, undefined))) {
      return turnIfDue() ?? RESOLVED;
    }
    return this.#put(newEntry(item, undefined), options);
  }

  /**
   * Like `put()`, resolving with the item's entry: a result that answers this
   * item carries its `id` in `answers` (see `getEntry()`), so a master can tell
   * which of its tasks each result belongs to.
   */
  async putEntry(item: T, options: BlockingOptions = {}): Promise<QueueEntry<T>> {
    const entry = newEntry(item, undefined);
    if (options.timeout === undefined && !this.#shutdown && this.#offer(entry)) await turnIfDue();
    else await this.#put(entry, options);
    return entry;
  }

  /**
   * Python 3.13's `Queue.shutdown(immediate=False)`: from now on `put` raises
   * `ShutDown`, and so does `get` once the queue is empty; waiting putters
   * (and getters of an empty queue) are released with it. `immediate` also
   * drops the items left (each counted as done, so `join()` returns).
   */
  shutdown(immediate = false): void {
    this.#shutdown = true;
    if (immediate) {
      while (this.#items.length > 0) {
        this.#items.shift();
        if (this.#unfinished > 0) this.#unfinished--;
      }
      if (this.#unfinished === 0) this.#releaseJoiners();
    }
    for (const putter of [...this.#putters]) putter.reject(new ShutDown());
    if (this.#items.length === 0) for (const getter of [...this.#getters]) getter.reject(new ShutDown());
  }

  /** True once `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /** Removes and returns the oldest item, waiting for one unless `block` is false. */
  get(options: BlockingOptions = {}): Promise<T> {
    // Fast path: an item is waiting (the master's result loop runs here).
    if (this.#items.length > 0 && (options.timeout === undefined || options.timeout === null)) {
      const value = this.#take().value;
      const turn = turnIfDue();
      return turn ? turn.then(() => value) : Promise.resolve(value);
    }
    return this.#get(options).then((entry) => entry.value);
  }

  /** Like `get()`, with the item's id, delivery count and the id of the item it answers. */
  getEntry(options: BlockingOptions = {}): Promise<QueueEntry<T>> {
    return this.#get(options);
  }

  putNowait(item: T): void {
    if (this.#shutdown) throw new ShutDown();
    if (!this.#offer(newEntry(item, undefined))) throw new Full();
  }

  getNowait(): T {
    return this.#takeNowait().value;
  }

  /** Marks one item taken with `get()` as processed (and, for a remote peer, acknowledges its lease). */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new RangeError('taskDone() called more times than there were items put');
    }
    if (--this.#unfinished === 0) this.#releaseJoiners();
  }

  #releaseJoiners(): void {
    const joiners = this.#joiners;
    this.#joiners = [];
    for (const resolve of joiners) resolve();
  }

  /** Resolves once every item put has been marked done with `taskDone()`. */
  join(): Promise<void> {
    if (this.#unfinished === 0) return Promise.resolve();
    return new Promise((resolve) => this.#joiners.push(resolve));
  }

  unfinishedTasks(): number {
    return this.#unfinished;
  }

  /** Items that were delivered `maxDeliveries` times without acknowledgement, with the reason. */
  get deadLetters(): Queue<DeadLetter<T>> {
    this.#deadLetters ??= new Queue<DeadLetter<T>>();
    return this.#deadLetters;
  }

  /** Extends the caller's leases on this queue (remote peers still working); a no-op locally. */
  extendLease(_seconds?: number): number {
    return 0;
  }

  /** Puts an item back at the head, ignoring `maxsize` (an item whose consumer vanished). */
  requeue(item: T): void {
    this.#unshift(newEntry(item, undefined));
  }

  /** How many items came back because the peer holding them was lost or their lease expired. */
  get redeliveries(): number {
    return this.#redeliveries;
  }

  /** LeaseOwner: an unacknowledged item comes back, or goes to the dead letters after too many tries. */
  redeliver(leased: LeasedEntry, reason: string): void {
    const entry = leased as QueueEntry<T>;
    this.#redeliveries++;
    this.#inFlight--;
    if (entry.deliveries >= this.maxDeliveries) {
      this.deadLetters.putNowait({ value: entry.value, id: entry.id, deliveries: entry.deliveries, reason });
      if (this.#unfinished > 0) this.taskDone(); // it will not be processed: join() must not wait for it
      this.#settleOverdue();
      return;
    }
    this.#unshift(entry);
  }

  /** LeaseOwner: a peer acknowledged an item it took; it is no longer in flight. */
  acknowledged(_entry: LeasedEntry): void {
    this.#inFlight--;
    this.#settleOverdue();
  }

  /** Overdue getters get their Empty once no item they could still receive is in flight. */
  #settleOverdue(): void {
    // Checked per acknowledgement, so it must cost nothing when no getter is overdue (the usual case).
    if (this.#overdue.size === 0) return;
    for (const getter of this.#overdue) {
      if (!this.#getters.has(getter)) this.#overdue.delete(getter);
      else if (!getter.hold?.()) {
        this.#overdue.delete(getter);
        getter.reject(new Empty());
      }
    }
  }

  async #put(entry: QueueEntry<T>, options: BlockingOptions): Promise<void> {
    const timeout = checkTimeout(options.timeout);
    if (this.#shutdown) throw new ShutDown();
    if (this.#offer(entry)) return;
    if (options.block === false) throw new Full();
    if (options.signal?.aborted) throw new Full('put cancelled: the caller went away');
    await wait<void, Putter<T>>(
      this.#putters,
      (w) => ({ ...w, entry }),
      timeout,
      options.signal,
      () => new Full(),
    );
  }

  /** `remote`: for a remote caller, whether its Empty must wait for items in flight, and its liveness (see Getter). */
  async #get(options: BlockingOptions, remote?: RemoteGetter): Promise<QueueEntry<T>> {
    const timeout = checkTimeout(options.timeout);
    if (this.#items.length > 0) return this.#take();
    if (this.#shutdown) throw new ShutDown();
    if (options.block === false) throw new Empty();
    if (options.signal?.aborted) throw new Empty('get cancelled: the caller went away');
    return wait<QueueEntry<T>, Getter<T>>(
      this.#getters,
      (w) => ({ ...w, ...remote }),
      timeout,
      options.signal,
      (getter) => {
        if (!getter.hold?.()) return new Empty();
        // Overdue: Empty is due once hold() turns false (see #settleOverdue).
        this.#overdue.add(getter);
        return undefined;
      },
    );
  }

  #takeNowait(): QueueEntry<T> {
    if (this.#items.length === 0) throw this.#shutdown ? new ShutDown() : new Empty();
    return this.#take();
  }

  #unshift(entry: QueueEntry<T>): void {
    const getter = liveGetter(this.#getters);
    if (getter) getter.resolve(entry);
    else this.#items.unshift(entry);
  }

  /** Hands the entry to a waiting getter or stores it; false when full. */
  #offer(entry: QueueEntry<T>): boolean {
    const getter = liveGetter(this.#getters);
    if (getter) {
      this.#unfinished++;
      getter.resolve(entry);
      return true;
    }
    if (this.full()) return false;
    this.#unfinished++;
    this.#items.push(entry);
    return true;
  }

  #take(): QueueEntry<T> {
    const entry = this.#items.shift() as QueueEntry<T>;
    // Room was made: admit the oldest waiting putter.
    const putter = first(this.#putters);
    if (putter) {
      this.#unfinished++;
      this.#items.push(putter.entry);
      putter.resolve();
    }
    return entry;
  }

  // ---- serving remote peers (serve.ts) ------------------------------------

  readonly [remoteInternals] = SERVED_INTERNALS;

  [remoteTally](method: string, args: unknown[], result: unknown): [string, number] {
    return tallyQueueCall(method, args, result);
  }

  [remoteFeatures](): Record<string, unknown> {
    return { queue: { bounded: this.maxsize > 0 } };
  }

  [remoteCall](method: string, args: unknown[], context: RemoteCallContext): Promise<unknown> {
    this.#service ??= new QueueService<T>(this, this.#insides());
    return this.#service.call(method, args, context);
  }

  #insides(): QueueInsides<T> {
    const items = this.#items;
    const inFlight = () => this.#inFlight;
    return {
      get queued() {
        return items.length;
      },
      get inFlight() {
        return inFlight();
      },
      get: (options, remote) => this.#get(options, remote),
      take: () => this.#take(),
      takeNowait: () => this.#takeNowait(),
      unshift: (entry) => this.#unshift(entry),
      offer: (entry) => this.#offer(entry),
      put: (entry, options) => this.#put(entry, options),
      delivered: () => {
        this.#inFlight++;
      },
    };
  }
}

/** Python's `multiprocessing.JoinableQueue`; every Queue already has `taskDone()` and `join()`, as `queue.Queue` does. */
export class JoinableQueue<T> extends Queue<T> {}
