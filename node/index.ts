/**
 * peerproc for Node: the shared core with Node's WebRTC binding filled in.
 *
 *   import { BaseManager, Queue } from 'peerproc';
 */
import type { RegisterOptions } from '../shared/manager.js';

export { generateAuthkey, shortAuthkeyWarning, workerCommand, workerPageLink } from '../shared/authkey.js';
export * from '../shared/errors.js';
export type { ManagerEvent } from '../shared/events.js';
export { FirstAnswers } from '../shared/first-answers.js';
export { consoleLogger, type Logger, silentLogger } from '../shared/logger.js';
export type { WorkerInfo } from '../shared/master-host.js';
export type { ManagerOptions } from '../shared/options.js';
export { type ProxyInfo, type ProxyOf, proxyInfo } from '../shared/proxy.js';
export { type DeadLetter, JoinableQueue, Queue, type QueueEntry, type QueueOptions } from '../shared/queue.js';
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
