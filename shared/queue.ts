/**
 * Queues with the semantics of Python's `queue.Queue` and
 * `multiprocessing.JoinableQueue`, usable locally and through proxies.
 *
 * Blocking calls return promises; timeouts are in seconds, as in Python.
 * `get()` with `block: false` (or `getNowait()`) raises `Empty`; `put()` on a
 * full bounded queue with `block: false` (or `putNowait()`) raises `Full`.
 */
import { ConnectionClosedError, Empty, Full } from './errors.js';
import type { AbortLike, BlockingOptions } from './queue-types.js';
import { type RemoteCallContext, remoteCall } from './remote-call.js';

export type { AbortLike, BlockingOptions } from './queue-types.js';

interface Waiter<V> {
  resolve(value: V): void;
  reject(err: Error): void;
}

interface Putter<T> extends Waiter<void> {
  item: T;
}

/** FIFO storage with O(1) push, shift and unshift. */
class Deque<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined as T;
    // Compact once the consumed prefix dominates, so memory follows the live size.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

function checkTimeout(timeout: number | null | undefined): number | null {
  if (timeout === null || timeout === undefined) return null;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `'timeout' must be a non-negative number of seconds or null, got ${String(timeout)} (${typeof timeout})`,
    );
  }
  return timeout;
}

function checkMaxsize(maxsize: number): number {
  if (!Number.isInteger(maxsize)) {
    throw new TypeError(`'maxsize' must be an integer (0 or less means unbounded), got ${String(maxsize)}`);
  }
  return maxsize;
}

/**
 * Waits in `waiters` until settled, the timeout passes (rejects with
 * `onTimeout()`), or the signal aborts. Always removes itself from `waiters`.
 */
function wait<V, W extends Waiter<V>>(
  waiters: Set<W>,
  make: (waiter: Waiter<V>) => W,
  timeout: number | null,
  signal: AbortLike | undefined,
  onTimeout: () => Error,
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
        cleanup();
        reject(onTimeout());
      }, timeout * 1000);
    }
    signal?.addEventListener('abort', onAbort);
  });
}

export class Queue<T> {
  /** Capacity; 0 or less means unbounded (as in Python). */
  readonly maxsize: number;
  readonly #items = new Deque<T>();
  readonly #getters = new Set<Waiter<T>>();
  readonly #putters = new Set<Putter<T>>();

  constructor(maxsize = 0) {
    this.maxsize = checkMaxsize(maxsize);
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

  /** Adds `item`, waiting for room in a full bounded queue unless `block` is false. */
  async put(item: T, options: BlockingOptions = {}): Promise<void> {
    const timeout = checkTimeout(options.timeout);
    if (this.#offer(item)) return;
    if (options.block === false) throw new Full();
    if (options.signal?.aborted) throw new Full('put cancelled: the caller went away');
    await wait<void, Putter<T>>(
      this.#putters,
      (w) => ({ ...w, item }),
      timeout,
      options.signal,
      () => new Full(),
    );
  }

  /** Removes and returns the oldest item, waiting for one unless `block` is false. */
  async get(options: BlockingOptions = {}): Promise<T> {
    const timeout = checkTimeout(options.timeout);
    if (this.#items.length > 0) return this.#take();
    if (options.block === false) throw new Empty();
    if (options.signal?.aborted) throw new Empty('get cancelled: the caller went away');
    return wait<T, Waiter<T>>(
      this.#getters,
      (w) => w,
      timeout,
      options.signal,
      () => new Empty(),
    );
  }

  putNowait(item: T): void {
    if (!this.#offer(item)) throw new Full();
  }

  getNowait(): T {
    if (this.#items.length === 0) throw new Empty();
    return this.#take();
  }

  /**
   * Puts an item back at the head, ignoring `maxsize`: used when a delivered
   * item comes back (its consumer died before acknowledging it).
   */
  requeue(item: T): void {
    const getter = first(this.#getters);
    if (getter) getter.resolve(item);
    else this.#items.unshift(item);
  }

  /** Hands the item to a waiting getter or stores it; false when full. */
  #offer(item: T): boolean {
    const getter = first(this.#getters);
    if (getter) {
      getter.resolve(item);
      this.onPut(item);
      return true;
    }
    if (this.full()) return false;
    this.#items.push(item);
    this.onPut(item);
    return true;
  }

  #take(): T {
    const item = this.#items.shift() as T;
    // Room was made: admit the oldest waiting putter.
    const putter = first(this.#putters);
    if (putter) {
      this.#items.push(putter.item);
      this.onPut(putter.item);
      putter.resolve();
    }
    return item;
  }

  /** Hook for subclasses: called once for every item accepted. */
  protected onPut(_item: T): void {}

  /**
   * Blocking calls made for a remote peer wait only while that peer is
   * connected; an item taken for a peer that is already gone goes back to the head.
   */
  async [remoteCall](method: string, args: unknown[], context: RemoteCallContext): Promise<unknown> {
    const { signal } = context;
    if (method === 'get') {
      const options = (args[0] ?? {}) as BlockingOptions;
      const item = await this.get({ ...options, signal });
      if (signal.aborted) {
        this.requeue(item);
        throw new ConnectionClosedError('the caller disconnected before receiving the item');
      }
      return item;
    }
    if (method === 'put') {
      const options = (args[1] ?? {}) as BlockingOptions;
      return this.put(args[0] as T, { ...options, signal });
    }
    return (this as unknown as Record<string, (...a: unknown[]) => unknown>)[method](...args);
  }
}

function first<V>(set: Set<V>): V | undefined {
  for (const value of set) return value;
  return undefined;
}

/** A queue whose consumers confirm each item with `taskDone()`, so producers can `join()`. */
export class JoinableQueue<T> extends Queue<T> {
  #unfinished = 0;
  #joiners: Array<() => void> = [];

  protected override onPut(): void {
    this.#unfinished++;
  }

  /** Marks one item taken with `get()` as fully processed. */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new RangeError('taskDone() called more times than there were items put');
    }
    if (--this.#unfinished === 0) {
      const joiners = this.#joiners;
      this.#joiners = [];
      for (const resolve of joiners) resolve();
    }
  }

  /** Resolves once every item put has been marked done with `taskDone()`. */
  join(): Promise<void> {
    if (this.#unfinished === 0) return Promise.resolve();
    return new Promise((resolve) => this.#joiners.push(resolve));
  }

  unfinishedTasks(): number {
    return this.#unfinished;
  }
}
