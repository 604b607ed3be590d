/**
 * peerproc for Node: the shared core with Node's WebRTC binding filled in.
 *
 *   import { BaseManager, Queue } from 'peerproc';
 */
import type { RegisterOptions } from '../shared/manager/manager.js';

export * from '../shared/errors.js';
export { consoleLogger, type Logger, silentLogger } from '../shared/logger.js';
export type { ManagerEvent } from '../shared/manager/events.js';
export type { WorkerInfo } from '../shared/manager/master-host.js';
export type { ManagerOptions } from '../shared/manager/options.js';
export { FirstAnswers } from '../shared/queue/first-answers.js';
export { type DeadLetter, JoinableQueue, Queue, type QueueEntry, type QueueOptions } from '../shared/queue/queue.js';
export { type ProxyInfo, type ProxyOf, proxyInfo } from '../shared/rpc/proxy.js';
export { BaseManager, type NodeManagerOptions } from './manager.js';
export { loadPlatform } from './platform.js';
// CPython interoperability (TCP): serve a master to Python workers, work for or bridge a Python master.
export { type BridgeStats, PythonBridge, type PythonBridgeOptions } from './python/bridge.js';
export {
  PythonManagerClient,
  type PythonManagerClientOptions,
  PythonManagerServer,
  type PythonManagerServerOptions,
  PythonProxy,
} from './python/index.js';
export { type ServePythonOptions, servePython } from './python/serve.js';
export type { RegisterOptions };
