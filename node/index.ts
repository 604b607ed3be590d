/**
 * peerproc for Node: the shared core with Node's WebRTC binding filled in.
 *
 *   import { BaseManager, Queue } from 'peerproc';
 */
import { type BaseManager as BaseManagerType, ManagerCore, type RegisterOptions } from '../shared/manager.js';
import type { ManagerOptions } from '../shared/options.js';
import type { Platform } from '../shared/rtc.js';
import { nodeDataChannelPlatform } from './platform.js';

export * from '../shared/errors.js';
export type { ManagerEvent } from '../shared/events.js';
export { consoleLogger, type Logger, silentLogger } from '../shared/logger.js';
export type { WorkerInfo } from '../shared/master-host.js';
export type { ManagerOptions } from '../shared/options.js';
export type { ProxyOf } from '../shared/proxy.js';
export { type DeadLetter, JoinableQueue, Queue, type QueueEntry, type QueueOptions } from '../shared/queue.js';
export { loadPlatform } from './platform.js';
export type { RegisterOptions };

/** Manager options in Node: `platform` defaults to the node-datachannel binding. */
export type NodeManagerOptions = Omit<ManagerOptions, 'platform'> & { platform?: Platform };

class NodeManager extends ManagerCore {
  constructor(options: NodeManagerOptions) {
    super({ platform: nodeDataChannelPlatform, ...options } as ManagerOptions);
  }
}

/** Python's BaseManager: `new BaseManager<{ get_task_queue: Queue<number> }>({ address, authkey })`. */
export const BaseManager = NodeManager as unknown as {
  /** Registers a typeid for every manager of this class and its subclasses (Python's classmethod). */
  register: typeof ManagerCore.register;
  new <R extends object = Record<never, never>>(options: NodeManagerOptions): BaseManagerType<R>;
};
export type BaseManager<R extends object = Record<never, never>> = BaseManagerType<R>;
