/**
 * `servePython(manager, { host, port })`: a started peerproc master also
 * serves CPython's managers protocol on a TCP address, with the manager's
 * authkey and registered names, so unmodified Python workers use the same
 * queues as its WebRTC workers, with the same leases (see server.ts).
 */
import { ConfigError, ManagerStateError } from '../../shared/errors.js';
import { type BaseManager, managerInternals } from '../../shared/manager/manager.js';
import type { Registry } from '../../shared/rpc/registry.js';
import { DEFAULT_PYTHON_HOST } from './options.js';
import { PythonManagerServer, type PythonManagerServerOptions } from './server.js';

export interface ServePythonOptions extends Omit<PythonManagerServerOptions, 'authkey'> {
  /** Address to listen on (default `127.0.0.1`: bind other addresses only on a trusted network). */
  host?: string;
  /** TCP port, as CPython's `address=(host, port)`; 0 (the default) picks a free one (see `server.address`). */
  port?: number;
  /** The authkey Python workers use; default: the manager's own (required when serving a bare registry). */
  authkey?: Uint8Array | string;
}

// biome-ignore lint/suspicious/noExplicitAny: any manager, whatever it registers.
type AnyManager = BaseManager<any>;

function isManager(target: AnyManager | Registry): target is AnyManager {
  return typeof (target as Partial<AnyManager>)[managerInternals] === 'function';
}

/**
 * Serves `target` (a peerproc master, or a bare registry of typeids) to
 * CPython workers. Resolves once listening, with the server (`address`,
 * `close()`, events). A manager's listener closes when the manager shuts
 * down; a registry's is closed by the caller.
 */
export async function servePython(
  target: AnyManager | Registry,
  options: ServePythonOptions = {},
): Promise<PythonManagerServer> {
  const { host = DEFAULT_PYTHON_HOST, port = 0, authkey, ...serverOptions } = options;
  let registry: Registry;
  let key: Uint8Array | string;
  let internals: ReturnType<AnyManager[typeof managerInternals]> | undefined;
  if (isManager(target)) {
    internals = target[managerInternals]();
    if (internals.state === 'connected' || internals.state === 'shutdown') {
      throw new ManagerStateError(
        `servePython() serves a master's objects; this manager is ${internals.state === 'connected' ? 'a worker' : 'shut down'}`,
      );
    }
    registry = internals.registry;
    key = authkey ?? internals.authkey;
  } else if (target instanceof Map) {
    if (authkey === undefined) throw new ConfigError('servePython(registry) needs options.authkey');
    registry = target;
    key = authkey;
  } else {
    throw new ConfigError('servePython() takes a BaseManager or a Map of typeid registrations');
  }
  const server = new PythonManagerServer(registry, { ...serverOptions, authkey: key });
  await server.listen(port, host);
  internals?.onShutdown(() => server.close());
  return server;
}
