/**
 * CPython's SyncManager types, served by a peerproc master to CPython
 * clients (with CPython's names and exposures) and to JS peers (typed proxies).
 */
export { Barrier, Condition, Event, type WaitOptions } from './conditions.js';
export { type DictSource, SharedDict } from './dict.js';
export { SharedIterator } from './iterator.js';
export { SharedList, type SortOptions } from './list.js';
export { type AcquireOptions, BoundedSemaphore, Lock, RLock, Semaphore } from './locks.js';
export { type SyncManager, type SyncManagerClass, syncManagerFor } from './manager.js';
export { pyCompare, pyEquals, pyHashKey } from './python-ops.js';
export { type SyncTypes, syncRegistry } from './registry.js';
export { SharedArray, SharedNamespace, SharedValue } from './values.js';
