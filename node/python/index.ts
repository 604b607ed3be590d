/**
 * CPython interoperability over TCP: serve our registry to Python workers
 * (`PythonManagerServer`, `servePython`), work for a Python master
 * (`PythonManagerClient`), or bridge one into a room (`PythonBridge`).
 */

export { type BridgeEnd, type BridgeStats, PythonBridge, type PythonBridgeOptions } from './bridge.js';
export { isQueueLike, type QueueLike, toSnakeCase } from './call-adapter.js';
export { type CallOptions, PythonManagerClient, type PythonManagerClientOptions, type PythonResult } from './client.js';
export { FramedSocket } from './framed-socket.js';
export {
  consolePythonLogger,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_PYTHON_HOST,
  formatHostPort,
  type HostPort,
  type PythonLogger,
  parseHostPort,
  toAuthkey,
} from './options.js';
export { type ProxyBlockingOptions, PythonProxy } from './proxy.js';
export { type ServePythonOptions, servePython } from './serve.js';
export {
  type PythonCallEvent,
  type PythonConnectionInfo,
  PythonManagerServer,
  type PythonManagerServerOptions,
  type PythonServerAddress,
} from './server.js';
