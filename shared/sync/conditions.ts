/**
 * SyncManager's `Condition`, `Event` and `Barrier`, with `threading`'s
 * semantics and texts, for CPython proxies (ConditionProxy, EventProxy,
 * BarrierProxy) and JS proxies.
 */

import { type PythonMethodTable, type PythonServed, pythonMethods } from '../python/call.js';
import { PythonException, pyError } from '../python/exception.js';
import type { PyValue } from '../python/values.js';
import { PyException } from '../python/values.js';
import type { AbortLike } from '../queue/types.js';
import { type RemoteCallContext, remoteCall } from '../rpc/served.js';
import { type AcquireOptions, RLock } from './locks.js';
import { methodTable, seconds, waitFor } from './table.js';

/** Options of the JS `wait` methods. */
export interface WaitOptions {
  /** Seconds to wait at most; null/undefined waits forever. */
  timeout?: number | null;
}

/** A set of waiters woken in arrival order. */
class Waiters {
  readonly #wakes: Array<() => void> = [];

  wait(timeout: number | null, signal: AbortLike | undefined): Promise<boolean> {
    return waitFor(
      (wake) => {
        this.#wakes.push(wake);
        return () => {
          const i = this.#wakes.indexOf(wake);
          if (i >= 0) this.#wakes.splice(i, 1);
        };
      },
      timeout,
      signal,
    );
  }

  wake(n = Number.POSITIVE_INFINITY): void {
    for (let i = 0; i < n && this.#wakes.length > 0; i++) this.#wakes.shift()?.();
  }
}

/** `threading.Condition()`, over its own RLock. */
export class Condition implements PythonServed {
  readonly #lock = new RLock();
  readonly #waiters = new Waiters();

  acquire(options: AcquireOptions = {}): Promise<boolean> {
    return this.#lock._acquireFor(undefined, options.blocking ?? true, options.timeout ?? null);
  }

  release(): void {
    this.#lock._releaseFor(undefined);
  }

  /** Releases the lock, waits for `notify` (true) or the timeout (false), then takes the lock back. */
  wait(options: WaitOptions = {}): Promise<boolean> {
    return this.#wait(undefined, options.timeout ?? null);
  }

  notify(n = 1): void {
    this.#notify(undefined, n);
  }

  notifyAll(): void {
    this.#notify(undefined, Number.POSITIVE_INFINITY);
  }

  async #wait(context: RemoteCallContext | undefined, timeout: number | null): Promise<boolean> {
    if (!this.#lock._isOwnedBy(context)) throw pyError('RuntimeError', 'cannot wait on un-acquired lock');
    const count = this.#lock._releaseAll(context);
    try {
      return await this.#waiters.wait(timeout, context?.signal);
    } finally {
      // Back under the lock, with the caller's recursion, whatever woke it (unless it is gone).
      if (!context?.signal.aborted) await this.#lock._acquireFor(context, true, null, count);
    }
  }

  #notify(context: RemoteCallContext | undefined, n: number): void {
    if (!this.#lock._isOwnedBy(context)) throw pyError('RuntimeError', 'cannot notify on un-acquired lock');
    this.#waiters.wake(n);
  }

  [remoteCall](method: string, args: unknown[], context: RemoteCallContext): unknown {
    switch (method) {
      case 'acquire': {
        const options = (args[0] ?? {}) as AcquireOptions;
        return this.#lock._acquireFor(context, options.blocking ?? true, options.timeout ?? null);
      }
      case 'release':
        return this.#lock._releaseFor(context);
      case 'wait':
        return this.#wait(context, ((args[0] ?? {}) as WaitOptions).timeout ?? null);
      case 'notify':
        return this.#notify(context, Number(args[0] ?? 1));
      case 'notifyAll':
        return this.#notify(context, Number.POSITIVE_INFINITY);
      default:
        throw pyError('AttributeError', `'Condition' object has no attribute '${method}'`);
    }
  }

  [pythonMethods](): PythonMethodTable {
    const lockTable = this.#lock[pythonMethods]();
    return methodTable('threading.Condition', ['acquire', 'release', 'wait', 'notify', 'notify_all'], {
      acquire: [lockTable.methods.acquire?.params ?? [], (args, c) => lockTable.methods.acquire?.call(args, c)],
      release: [[], (_args, c) => this.#lock._releaseFor(c)],
      wait: [[['timeout', null]], ([timeout], c) => this.#wait(c, seconds(timeout))],
      notify: [[['n', 1]], ([n], c) => this.#notify(c, Number(n))],
      notify_all: [[], (_args, c) => this.#notify(c, Number.POSITIVE_INFINITY)],
    });
  }
}

/** `threading.Event`. */
export class Event implements PythonServed {
  #flag = false;
  readonly #waiters = new Waiters();

  isSet(): boolean {
    return this.#flag;
  }

  set(): void {
    this.#flag = true;
    this.#waiters.wake();
  }

  clear(): void {
    this.#flag = false;
  }

  /** Resolves true once set, false if the timeout passes first. */
  wait(options: WaitOptions = {}): Promise<boolean> {
    return this.#wait(options.timeout ?? null, undefined);
  }

  async #wait(timeout: number | null, signal: AbortLike | undefined): Promise<boolean> {
    if (this.#flag) return true;
    await this.#waiters.wait(timeout, signal);
    return this.#flag;
  }

  [remoteCall](method: string, args: unknown[], context: RemoteCallContext): unknown {
    if (method === 'wait') return this.#wait(((args[0] ?? {}) as WaitOptions).timeout ?? null, context.signal);
    if (method === 'isSet') return this.isSet();
    if (method === 'set') return this.set();
    if (method === 'clear') return this.clear();
    throw pyError('AttributeError', `'Event' object has no attribute '${method}'`);
  }

  [pythonMethods](): PythonMethodTable {
    return methodTable('threading.Event', ['is_set', 'set', 'clear', 'wait'], {
      is_set: [[], () => this.isSet()],
      set: [[], () => this.set()],
      clear: [[], () => this.clear()],
      wait: [[['timeout', null]], ([timeout], c) => this.#wait(seconds(timeout), c?.signal)],
    });
  }
}

/** `threading.BrokenBarrierError`, as CPython pickles it. */
export function brokenBarrier(): PythonException {
  return new PythonException(new PyException('threading', 'BrokenBarrierError'));
}

const FILLING = 0;
const DRAINING = 1;
const RESETTING = -1;
const BROKEN = -2;

/** `threading.Barrier(parties, action=None, timeout=None)`; an action would be code, so there is none. */
export class Barrier implements PythonServed {
  readonly #parties: number;
  readonly #timeout: number | null;
  #state = FILLING;
  #count = 0;
  readonly #changes = new Waiters();

  constructor(parties: number, timeout: number | null = null) {
    this.#parties = Number(parties);
    this.#timeout = timeout;
  }

  /** Waits for all parties; resolves with this caller's arrival index (0 .. parties-1). */
  wait(options: WaitOptions = {}): Promise<number> {
    return this.#wait(options.timeout ?? null, undefined);
  }

  abort(): void {
    this.#state = BROKEN;
    this.#changes.wake();
  }

  reset(): void {
    if (this.#count > 0) {
      if (this.#state === FILLING || this.#state === BROKEN) this.#state = RESETTING;
    } else {
      this.#state = FILLING;
    }
    this.#changes.wake();
  }

  parties(): number {
    return this.#parties;
  }

  nWaiting(): number {
    return this.#state === FILLING ? this.#count : 0;
  }

  broken(): boolean {
    return this.#state === BROKEN;
  }

  async #wait(timeout: number | null, signal: AbortLike | undefined): Promise<number> {
    const limit = timeout ?? this.#timeout;
    // Wait while the previous round drains or resets.
    while (this.#state === DRAINING || this.#state === RESETTING) await this.#changes.wait(null, signal);
    if (this.#state === BROKEN) throw brokenBarrier();
    const index = this.#count++;
    try {
      if (index + 1 === this.#parties) {
        this.#state = DRAINING;
        this.#changes.wake();
      } else {
        const deadline = limit === null ? null : performance.now() + limit * 1000;
        while (this.#state === FILLING) {
          const left = deadline === null ? null : (deadline - performance.now()) / 1000;
          if (left !== null && left <= 0) {
            this.abort();
            throw brokenBarrier();
          }
          await this.#changes.wait(left, signal);
        }
        if (this.#state < 0) throw brokenBarrier();
      }
      return index;
    } finally {
      this.#count--;
      if (this.#count === 0 && (this.#state === RESETTING || this.#state === DRAINING)) {
        this.#state = FILLING;
        this.#changes.wake();
      }
    }
  }

  [remoteCall](method: string, args: unknown[], context: RemoteCallContext): unknown {
    switch (method) {
      case 'wait':
        return this.#wait(((args[0] ?? {}) as WaitOptions).timeout ?? null, context.signal);
      case 'abort':
        return this.abort();
      case 'reset':
        return this.reset();
      case 'parties':
        return this.parties();
      case 'nWaiting':
        return this.nWaiting();
      case 'broken':
        return this.broken();
      default:
        throw pyError('AttributeError', `'Barrier' object has no attribute '${method}'`);
    }
  }

  [pythonMethods](): PythonMethodTable {
    const attributes: Record<string, () => PyValue> = {
      parties: () => this.parties(),
      n_waiting: () => this.nWaiting(),
      broken: () => this.broken(),
    };
    return methodTable('threading.Barrier', ['__getattribute__', 'wait', 'abort', 'reset'], {
      __getattribute__: [
        ['name'],
        ([name]) => {
          const get = attributes[String(name)];
          if (!get) throw pyError('AttributeError', `'Barrier' object has no attribute ${pyStrRepr(String(name))}`);
          return get();
        },
      ],
      wait: [[['timeout', null]], ([timeout], c) => this.#wait(seconds(timeout), c?.signal)],
      abort: [[], () => this.abort()],
      reset: [[], () => this.reset()],
    });
  }
}

function pyStrRepr(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
