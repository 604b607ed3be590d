/**
 * The SyncManager types on their own (shared/sync/): Python's equality and
 * hashing, list slices through the Python method table, and locks that
 * belong to their caller's connection and are released when it closes. Their
 * behaviour against CPython's own is checked line by line in
 * test/python/sync-manager.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { pythonMethods } from '../../shared/python/call.js';
import { PyFloat, PyOpaque, PyTuple, type PyValue } from '../../shared/python/values.js';
import { LeaseLedger } from '../../shared/queue/leases.js';
import type { RemoteCallContext } from '../../shared/rpc/served.js';
import {
  Barrier,
  Lock,
  pyCompare,
  pyEquals,
  pyHashKey,
  RLock,
  SharedDict,
  SharedList,
} from '../../shared/sync/index.js';

function caller(): { context: RemoteCallContext; leave(): void } {
  const controller = new AbortController();
  return { context: { signal: controller.signal, ledger: new LeaseLedger() }, leave: () => controller.abort() };
}

const slice = (start: PyValue, stop: PyValue, step: PyValue = null): PyOpaque =>
  new PyOpaque('builtins', 'slice', 'call', [start, stop, step]);

describe('Python equality, hashing and ordering', () => {
  it('treats 1, 1.0, True as one key; tuples by value; refuses unhashable keys as CPython', () => {
    expect(pyHashKey(1)).toBe(pyHashKey(new PyFloat(1)));
    expect(pyHashKey(true)).toBe(pyHashKey(1));
    expect(pyHashKey(new PyTuple([1, 'a']))).toBe(pyHashKey(new PyTuple([new PyFloat(1), 'a'])));
    expect(pyHashKey(2n ** 60n)).toBe(pyHashKey(2 ** 60));
    expect(() => pyHashKey([1])).toThrow("unhashable type: 'list'");
    expect(pyEquals(new Map([[1, 'x']]), new Map([[new PyFloat(1), 'x']]))).toBe(true);
    expect(pyEquals(new PyTuple([1]), [1])).toBe(false);
    expect(pyCompare('b', 'a')).toBe(1);
    expect(() => pyCompare('a', 1)).toThrow("'<' not supported between instances of 'str' and 'int'");
  });

  it('keeps the first key object, as a Python dict does', () => {
    const d = new SharedDict();
    d.set(1, 'int');
    d.set(new PyFloat(1), 'float');
    expect(d.items()).toEqual([[1, 'float']]);
  });
});

describe('SharedList through its Python methods', () => {
  it('reads, assigns and deletes slices with Python semantics', () => {
    const list = new SharedList([0, 1, 2, 3, 4, 5]);
    const { methods } = list[pythonMethods]();
    const call = (name: string, ...args: PyValue[]) => methods[name]?.call(args, undefined);
    expect(call('__getitem__', slice(1, -1, 2))).toEqual([1, 3]);
    expect(call('__getitem__', slice(null, null, -2))).toEqual([5, 3, 1]);
    call('__setitem__', slice(0, 2), [9]);
    expect(list.toArray()).toEqual([9, 2, 3, 4, 5]);
    expect(() => call('__setitem__', slice(null, null, 2), [1])).toThrow(
      'attempt to assign sequence of size 1 to extended slice of size 3',
    );
    call('__delitem__', slice(null, null, 2));
    expect(list.toArray()).toEqual([2, 4]);
  });
});

describe('locks belong to their caller', () => {
  it('an RLock re-enters for its holder only', async () => {
    const lock = new RLock();
    const a = caller();
    const b = caller();
    expect(await lock._acquireFor(a.context, true, null)).toBe(true);
    expect(await lock._acquireFor(a.context, true, null)).toBe(true);
    expect(await lock._acquireFor(b.context, false, null)).toBe(false);
    expect(() => lock._releaseFor(b.context)).toThrow('cannot release un-acquired lock');
  });

  it('a Lock held by a caller whose connection closes is released for the next waiter', async () => {
    const lock = new Lock();
    const a = caller();
    const b = caller();
    expect(await lock._acquireFor(a.context, true, null)).toBe(true);
    const waiting = lock._acquireFor(b.context, true, 10);
    a.leave();
    expect(await waiting).toBe(true);
    expect(lock._isOwnedBy(b.context)).toBe(true);
  });

  it('a Barrier whose parties do not all come in time breaks, with BrokenBarrierError', async () => {
    const barrier = new Barrier(2, 0.05);
    await expect(barrier.wait()).rejects.toMatchObject({ name: 'BrokenBarrierError' });
    expect(barrier.broken()).toBe(true);
  });
});
