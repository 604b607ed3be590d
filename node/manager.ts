/**
 * BaseManager for Node: the shared manager with the node-datachannel binding
 * as its default platform. Kept apart from index.ts so that commands load
 * only what they use (start-up time counts toward a worker's first task).
 */
import {
  type BaseManager as BaseManagerType,
  baseManagerFor,
  type PlatformManagerOptions,
} from '../shared/manager/manager.js';
import { type SyncManager as SyncManagerType, syncManagerFor } from '../shared/sync/manager.js';
import { nodeDataChannelPlatform } from './platform.js';

/** Manager options in Node: `platform` defaults to the node-datachannel binding. */
export type NodeManagerOptions = PlatformManagerOptions;

/** Python's BaseManager: `new BaseManager<{ get_task_queue: Queue<number> }>({ address, authkey })`. */
export const BaseManager = baseManagerFor(nodeDataChannelPlatform);
export type BaseManager<R extends object = Record<never, never>> = BaseManagerType<R>;

/** Python's SyncManager: `m.dict()`, `m.list()`, `m.Lock()`, `m.Event()`... (shared/sync/). */
export const SyncManager = syncManagerFor(BaseManager);
export type SyncManager<R extends object = Record<never, never>> = SyncManagerType<R>;
