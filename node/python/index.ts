/**
 * CPython interoperability over TCP: serve our registry to Python workers
 * (`PythonManagerServer`), or work for a Python master (`PythonManagerClient`).
 */
export { isQueueLike, type QueueLike, toSnakeCase } from './call-adapter.js';
export { type CallOptions, PythonManagerClient, type PythonManagerClientOptions, type PythonResult } from './client.js';
export { FramedSocket } from './framed-socket.js';
export {
  consoleLogger,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  type PythonLogger,
  toAuthkey,
} from './options.js';
export { type ProxyBlockingOptions, PythonProxy } from './proxy.js';
export {
  type PythonCallEvent,
  type PythonConnectionInfo,
  PythonManagerServer,
  type PythonManagerServerOptions,
  type PythonServerAddress,
} from './server.js';
