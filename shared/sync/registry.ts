/**
 * The typeids CPython's `SyncManager` registers, served by peerproc with the
 * same names, factories and exposures (`m.dict()`, `m.Lock()`,
 * `m.Value('i', 0)`...), for CPython clients and JS peers alike. `Pool` is
 * left out: it runs Python functions.
 */

import { pythonParams } from '../python/call.js';
import { pyError } from '../python/exception.js';
import type { PyValue } from '../python/values.js';
import { JoinableQueue, Queue } from '../queue/queue.js';
import type { TypeRegistration } from '../rpc/registry.js';
import { Barrier, Condition, Event } from './conditions.js';
import { type DictSource, SharedDict } from './dict.js';
import { SharedIterator } from './iterator.js';
import { SharedList } from './list.js';
import { BoundedSemaphore, Lock, RLock, Semaphore } from './locks.js';
import { SharedArray, SharedNamespace, SharedValue } from './values.js';

/** What each typeid serves (for typed proxies: `ProxyOf<SyncTypes['dict']>`). */
export interface SyncTypes {
  Queue: Queue<PyValue>;
  JoinableQueue: JoinableQueue<PyValue>;
  Event: Event;
  Lock: Lock;
  RLock: RLock;
  Semaphore: Semaphore;
  BoundedSemaphore: BoundedSemaphore;
  Condition: Condition;
  Barrier: Barrier;
  list: SharedList;
  dict: SharedDict;
  Value: SharedValue;
  Array: SharedArray;
  Namespace: SharedNamespace;
}

function refuseCode(what: string, value: PyValue | undefined): void {
  if (value !== null && value !== undefined) {
    throw pyError('TypeError', `${what} would be Python code, which a peerproc manager never runs`);
  }
}

/** Messages name a factory standing for a Python class as CPython does: `Value.__init__()`, counting `self`. */
const classInit = (name: string) => ({ qualname: `${name}.__init__`, method: true });

/** The factories, each with its Python signature (how a CPython `m.Value('i', 0)` binds). */
const FACTORIES: Record<keyof SyncTypes, (...args: never[]) => object> = {
  Queue: pythonParams((maxsize: number = 0) => new Queue<PyValue>(Number(maxsize)), [['maxsize', 0]]),
  JoinableQueue: pythonParams((maxsize: number = 0) => new JoinableQueue<PyValue>(Number(maxsize)), [['maxsize', 0]]),
  Event: pythonParams(() => new Event(), []),
  Lock: pythonParams(() => new Lock(), []),
  RLock: pythonParams(() => new RLock(), []),
  Semaphore: pythonParams((value: number = 1) => new Semaphore(value), [['value', 1]], classInit('Semaphore')),
  BoundedSemaphore: pythonParams(
    (value: number = 1) => new BoundedSemaphore(value),
    [['value', 1]],
    classInit('BoundedSemaphore'),
  ),
  Condition: pythonParams(
    (lock?: PyValue) => {
      refuseCode('Condition(lock): a lock passed in', lock === undefined ? null : lock);
      return new Condition();
    },
    [['lock', null]],
    classInit('Condition'),
  ),
  Barrier: pythonParams(
    (parties: number, action?: PyValue, timeout?: number | null) => {
      refuseCode('Barrier(action=...)', action);
      return new Barrier(parties, timeout ?? null);
    },
    ['parties', ['action', null], ['timeout', null]],
    classInit('Barrier'),
  ),
  list: pythonParams((sequence?: PyValue) => new SharedList(sequence ?? []), [['sequence', null]]),
  dict: pythonParams(
    (mapping?: DictSource | null, extra?: Record<string, PyValue>) => new SharedDict(mapping ?? undefined, extra),
    [['mapping', null], '**kwargs'],
  ),
  Value: pythonParams(
    (typecode: string, value: PyValue) => new SharedValue(typecode, value),
    ['typecode', 'value', ['lock', true]],
    classInit('Value'),
  ),
  Array: pythonParams(
    (typecode: string, sequence: PyValue) => new SharedArray(typecode, sequence),
    ['typecode', 'sequence', ['lock', true]],
  ),
  Namespace: pythonParams(
    (attributes?: Record<string, PyValue>) => new SharedNamespace(attributes ?? {}),
    ['**kwargs'],
    classInit('Namespace'),
  ),
};

/** The registrations, by typeid; `Iterator` serves what a dict's `__iter__` returns (no factory, as in CPython). */
export function syncRegistry(): Map<string, TypeRegistration & { createMethod?: boolean }> {
  const registry = new Map<string, TypeRegistration & { createMethod?: boolean }>();
  for (const [typeid, callable] of Object.entries(FACTORIES)) {
    registry.set(typeid, { callable: callable as TypeRegistration['callable'] });
  }
  registry.set('Iterator', { createMethod: false });
  return registry;
}

export { SharedIterator };
