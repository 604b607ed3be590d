/**
 * SyncManager's `Lock`, `RLock`, `Semaphore` and `BoundedSemaphore`, with
 * `threading`'s semantics and texts, for CPython proxies (AcquirerProxy:
 * `acquire(blocking=True, timeout=...)`, `release()`, `with lock:`) and JS
 * proxies (`await lock.acquire()`, `await lock.acquire({ timeout: 1 })`).
 *
 * An RLock belongs to its caller: a CPython thread (one connection each) or
 * a JS peer. A Lock or RLock held by a caller whose connection closes is
 * released (a CPython manager keeps it locked forever: every other client
 * then deadlocks).
 */

import type { PythonMethodTable, PythonServed } from '../python/call.js';
import { pythonMethods } from '../python/call.js';
import { pyError } from '../python/exception.js';
import type { AbortLike } from '../queue/types.js';
import { type RemoteCallContext, remoteCall } from '../rpc/served.js';
import { pyTruthy } from './python-ops.js';
import { callerOf, methodTable, seconds, waitFor } from './table.js';

/** What JS callers pass to `acquire`. */
export interface AcquireOptions {
  /** Wait for the lock (default true). */
  blocking?: boolean;
  /** Seconds to wait at most; null/undefined waits forever. */
  timeout?: number | null;
}

const ACQUIRER_EXPOSED = ['acquire', 'release'] as const;

/** `threading.Lock.acquire`'s argument checks; returns the timeout in seconds, or null to wait forever. */
function lockTimeout(blocking: boolean, timeout: number): number | null {
  if (!blocking && timeout !== -1) throw pyError('ValueError', "can't specify a timeout for a non-blocking call");
  if (timeout < 0 && timeout !== -1) throw pyError('ValueError', 'timeout value must be positive');
  return timeout === -1 ? null : timeout;
}

interface Waiter {
  caller: object;
  grant(): void;
}

/** Releases what a caller holds when its connection closes. */
class HeldBy {
  readonly #listeners = new Map<object, { signal: AbortLike; listener: () => void }>();

  watch(caller: object, signal: AbortLike | undefined, release: () => void): void {
    if (!signal || this.#listeners.has(caller)) return;
    const listener = (): void => {
      this.#listeners.delete(caller);
      release();
    };
    this.#listeners.set(caller, { signal, listener });
    signal.addEventListener('abort', listener);
  }

  forget(caller: object): void {
    const entry = this.#listeners.get(caller);
    if (!entry) return;
    entry.signal.removeEventListener('abort', entry.listener);
    this.#listeners.delete(caller);
  }
}

/**
 * A mutual-exclusion lock owned by one caller at a time, re-entrant or not;
 * waiters are served in arrival order.
 */
abstract class OwnedLock implements PythonServed {
  #holder: object | undefined;
  #count = 0;
  readonly #waiters: Waiter[] = [];
  readonly #held = new HeldBy();
  protected abstract readonly reentrant: boolean;
  protected abstract readonly className: string;

  /** Takes the lock; resolves false if `blocking` is false or the timeout passes first. */
  acquire(options: AcquireOptions = {}): Promise<boolean> {
    return this._acquireFor(undefined, options.blocking ?? true, options.timeout ?? null);
  }

  release(): void {
    this._releaseFor(undefined);
  }

  /** True while some caller holds it. */
  locked(): boolean {
    return this.#holder !== undefined;
  }

  /** @internal The caller-aware form used by proxies (context) and by Condition. */
  async _acquireFor(
    context: RemoteCallContext | undefined,
    blocking: boolean,
    timeout: number | null,
    count = 1,
  ): Promise<boolean> {
    const caller = callerOf(context);
    if (this.#holder === undefined || (this.reentrant && this.#holder === caller)) {
      this.#take(caller, context, count);
      return true;
    }
    if (!blocking) return false;
    let granted = false;
    const ok = await waitFor(
      (wake) => {
        const waiter: Waiter = {
          caller,
          grant: () => {
            granted = true;
            this.#take(caller, context, count);
            wake();
          },
        };
        this.#waiters.push(waiter);
        return () => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
        };
      },
      timeout,
      context?.signal,
    );
    return ok || granted;
  }

  #take(caller: object, context: RemoteCallContext | undefined, count: number): void {
    if (this.#holder !== caller) {
      this.#holder = caller;
      this.#count = 0;
      this.#held.watch(caller, context?.signal, () => {
        if (this.#holder === caller) this.#handOver();
      });
    }
    this.#count += count;
  }

  /** @internal Releases once (a Lock may be released by anyone; an RLock only by its holder). */
  _releaseFor(context: RemoteCallContext | undefined): void {
    if (this.#holder === undefined || (this.reentrant && this.#holder !== callerOf(context))) {
      throw pyError('RuntimeError', this.reentrant ? 'cannot release un-acquired lock' : 'release unlocked lock');
    }
    if (--this.#count === 0) this.#handOver();
  }

  /** @internal Releases all of the holder's recursion (Condition.wait); returns the count to restore. */
  _releaseAll(context: RemoteCallContext | undefined): number {
    if (this.#holder !== callerOf(context)) throw pyError('RuntimeError', 'cannot release un-acquired lock');
    const count = this.#count;
    this.#handOver();
    return count;
  }

  /** @internal Whether `context`'s caller holds the lock. */
  _isOwnedBy(context: RemoteCallContext | undefined): boolean {
    return this.#holder !== undefined && this.#holder === callerOf(context);
  }

  #handOver(): void {
    const previous = this.#holder;
    if (previous) this.#held.forget(previous);
    this.#holder = undefined;
    this.#count = 0;
    this.#waiters.shift()?.grant();
  }

  [remoteCall](method: string, args: unknown[], context: RemoteCallContext): unknown {
    if (method === 'acquire') {
      const options = (args[0] ?? {}) as AcquireOptions;
      return this._acquireFor(context, options.blocking ?? true, options.timeout ?? null);
    }
    if (method === 'release') return this._releaseFor(context);
    if (method === 'locked') return this.locked();
    throw pyError('AttributeError', `'${this.className}' object has no attribute '${method}'`);
  }

  [pythonMethods](): PythonMethodTable {
    return methodTable(this.className, ACQUIRER_EXPOSED, {
      acquire: [
        [
          ['blocking', true],
          ['timeout', -1],
        ],
        ([blocking, timeout], context) => {
          const wait = pyTruthy(blocking);
          return this._acquireFor(context, wait, lockTimeout(wait, Number(timeout)));
        },
      ],
      release: [[], (_args, context) => this._releaseFor(context)],
    });
  }
}

/** `threading.Lock` (`multiprocessing.Manager().Lock()`). */
export class Lock extends OwnedLock {
  protected readonly reentrant = false;
  protected readonly className = '_thread.lock';
}

/** `threading.RLock`: re-entrant, released only by the caller that holds it. */
export class RLock extends OwnedLock {
  protected readonly reentrant = true;
  protected readonly className = '_thread.RLock';
}

/** `threading.Semaphore(value=1)`. */
export class Semaphore implements PythonServed {
  #value: number;
  readonly #initial: number;
  readonly #waiters: Array<() => void> = [];
  protected readonly bounded: boolean = false;

  constructor(value: number = 1) {
    if (!(Number(value) >= 0)) throw pyError('ValueError', 'semaphore initial value must be >= 0');
    this.#value = Number(value);
    this.#initial = this.#value;
  }

  /** Takes one unit; resolves false if `blocking` is false or the timeout passes first. */
  acquire(options: AcquireOptions = {}): Promise<boolean> {
    return this.#acquire(options.blocking ?? true, options.timeout ?? null, undefined);
  }

  /** Gives back `n` units (default 1). */
  release(n = 1): void {
    const count = Number(n);
    if (!(count >= 1)) throw pyError('ValueError', 'n must be one or more');
    if (this.bounded && this.#value + count > this.#initial)
      throw pyError('ValueError', 'Semaphore released too many times');
    this.#value += count;
    while (this.#value > 0 && this.#waiters.length > 0) {
      this.#value--;
      this.#waiters.shift()?.();
    }
  }

  /** Units available now. */
  value(): number {
    return this.#value;
  }

  async #acquire(blocking: boolean, timeout: number | null, signal: AbortLike | undefined): Promise<boolean> {
    if (this.#value > 0) {
      this.#value--;
      return true;
    }
    if (!blocking || (timeout !== null && timeout <= 0)) return false;
    return waitFor(
      (wake) => {
        this.#waiters.push(wake);
        return () => {
          const i = this.#waiters.indexOf(wake);
          if (i >= 0) this.#waiters.splice(i, 1);
        };
      },
      timeout,
      signal,
    );
  }

  [remoteCall](method: string, args: unknown[], context: RemoteCallContext): unknown {
    if (method === 'acquire') {
      const options = (args[0] ?? {}) as AcquireOptions;
      return this.#acquire(options.blocking ?? true, options.timeout ?? null, context.signal);
    }
    if (method === 'release') return this.release(args[0] as number | undefined);
    if (method === 'value') return this.value();
    throw pyError('AttributeError', `'Semaphore' object has no attribute '${method}'`);
  }

  [pythonMethods](): PythonMethodTable {
    return methodTable(this.bounded ? 'threading.BoundedSemaphore' : 'threading.Semaphore', ACQUIRER_EXPOSED, {
      acquire: [
        [
          ['blocking', true],
          ['timeout', null],
        ],
        ([blocking, timeout], context) => {
          if (!pyTruthy(blocking) && timeout !== null) {
            throw pyError('ValueError', "can't specify timeout for non-blocking acquire");
          }
          return this.#acquire(pyTruthy(blocking), seconds(timeout), context?.signal);
        },
      ],
      release: [[['n', 1]], ([n]) => this.release(Number(n))],
    });
  }
}

/** `threading.BoundedSemaphore`: releasing beyond the initial value is a ValueError. */
export class BoundedSemaphore extends Semaphore {
  protected override readonly bounded = true;
}
