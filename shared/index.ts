/**
 * peerproc's public API, the same on every platform. The entry points
 * (node/index.ts, web/lib/index.ts) re-export this and add only their
 * platform: the WebRTC and WebSocket classes and a `BaseManager` bound to them
 * (and, in Node, the CPython interop). Internals such as the wire format stay out.
 */
export {
  AddressInUseError,
  AuthenticationError,
  type CodeOf,
  ConfigError,
  ConnectionClosedError,
  ConnectTimeoutError,
  Empty,
  ERROR_CODES,
  type ErrorCode,
  errorCode,
  Full,
  isErrorCode,
  ManagerStateError,
  MessageTooLargeError,
  MethodNotExposedError,
  PeerprocError,
  PeerShutdownError,
  ProtocolError,
  RemoteError,
  ShutDown,
  SignalingError,
  UnknownTypeidError,
} from './errors.js';
// Jobs: a master serves a job module to every worker (shared/jobs/).
export * from './jobs/index.js';
export { consoleLogger, type Logger, silentLogger } from './logger.js';
export { generateAuthkey, shortAuthkeyWarning, workerCommand, workerPageLink } from './manager/authkey.js';
export type { ManagerEvent } from './manager/events.js';
// The manager's class and the types its methods use, for documentation and annotations (values come from the entry points).
export type {
  BaseManagerClass,
  ManagerCore,
  PlatformManagerOptions,
  ProxyGetters,
  RegisterOptions,
} from './manager/manager.js';
export type { WorkerInfo } from './manager/master-host.js';
export type { ManagerOptions } from './manager/options.js';
export { StallWatch, type WatchedMaster, type WatchedQueue } from './manager/stall-watch.js';
// Python's values that JavaScript has no exact type for, and how a served method takes Python's arguments.
export { type PythonParam, pythonParams } from './python/call.js';
export {
  PyByteArray,
  PyException,
  PyFloat,
  PyFrozenSet,
  PyGlobal,
  PyOpaque,
  PyTuple,
  type PyValue,
} from './python/values.js';
export { FirstAnswers } from './queue/first-answers.js';
export { type DeadLetter, JoinableQueue, Queue, type QueueEntry, type QueueOptions } from './queue/queue.js';
export type { BlockingOptions } from './queue/types.js';
export { type ProxyInfo, type ProxyMethods, type ProxyOf, proxyInfo } from './rpc/proxy.js';
export { parseAddress } from './signaling/protocol.js';
// SyncManager's shared objects (Python's multiprocessing.managers.SyncManager registry).
export {
  type AcquireOptions,
  Barrier,
  BoundedSemaphore,
  Condition,
  type DictSource,
  Event,
  Lock,
  RLock,
  Semaphore,
  SharedArray,
  SharedDict,
  SharedList,
  SharedNamespace,
  SharedValue,
  type SyncTypes,
  syncRegistry,
  type WaitOptions,
} from './sync/index.js';
export type { PeerPath } from './webrtc/peer-link.js';
export type { IceServer, Platform } from './webrtc/platform.js';
