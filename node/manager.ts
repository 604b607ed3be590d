/**
 * BaseManager for Node: the shared manager with the node-datachannel binding
 * as its default platform. Kept apart from index.ts so that commands load
 * only what they use (start-up time counts toward a worker's first task).
 */
import { type BaseManager as BaseManagerType, ManagerCore } from '../shared/manager.js';
import type { ManagerOptions } from '../shared/options.js';
import type { Platform } from '../shared/rtc.js';
import { nodeDataChannelPlatform } from './platform.js';

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
