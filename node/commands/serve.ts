/**
 * `peerproc serve`: a manager server holding CPython's SyncManager types
 * (`dict`, `list`, `Namespace`, `Value`, `Array`, `Lock`, `RLock`,
 * `Semaphore`, `BoundedSemaphore`, `Condition`, `Event`, `Barrier`, `Queue`,
 * `JoinableQueue`) until stopped, as `SyncManager(address).get_server().serve_forever()`
 * does: to JS peers in a room (`--address`, TS `SyncManager`) and to
 * unmodified CPython clients on TCP (`--python-listen`,
 * `SyncManager(address=(HOST, PORT), authkey=KEY).connect()`).
 */
import { ConfigError } from '../../shared/errors.js';
import { syncRegistry } from '../../shared/sync/registry.js';
import { SyncManager } from '../manager.js';
import { loadPlatform } from '../platform.js';
import { PYTHON_SERVE_FLAGS, PYTHON_SERVE_USAGE, pythonServeFlags } from '../python/flags.js';
import { CONNECTION_FLAGS, EXIT_OK, iceServersFlag, parseFlags, requireString, stderrLogger } from './common.js';

export const SERVE_USAGE = `Usage: peerproc serve [--address ws://HOST:PORT/ROOM] [--python-listen HOST:PORT] --authkey KEY [options]

Holds Python's SyncManager objects (m.dict(), m.list(), m.Lock(), m.Value('i', 0)...)
until stopped (Ctrl-C), for JS peers and CPython clients.

  --address URL        serve JS peers in this room (signaling server and room)
  --python-listen HOST:PORT
                       serve unmodified CPython clients on this TCP address
                       (their SyncManager(address=(HOST, PORT), authkey=KEY)); port 0: a free one
  --authkey KEY        shared secret (or PEERPROC_AUTHKEY)
${PYTHON_SERVE_USAGE}
  --ice-servers JSON   STUN/TURN servers (default: those the signaling server hands out)
  --webrtc NAME        WebRTC binding: node-datachannel (default) or wrtc
At least one of --address and --python-listen is needed.`;

export async function runServe(argv: string[], out: (line: string) => void): Promise<number> {
  const values = parseFlags(argv, { ...CONNECTION_FLAGS, 'python-listen': { type: 'string' }, ...PYTHON_SERVE_FLAGS });
  if (values.help) {
    out(SERVE_USAGE);
    return EXIT_OK;
  }
  const authkey = requireString(values, 'authkey', 'PEERPROC_AUTHKEY');
  const address = typeof values.address === 'string' ? values.address : undefined;
  const listen = typeof values['python-listen'] === 'string' ? values['python-listen'] : undefined;
  if (!address && !listen) throw new ConfigError('peerproc serve needs --address, --python-listen, or both');
  const pythonFlags = pythonServeFlags(values);

  const stops: Array<() => Promise<void>> = [];
  if (address) {
    const manager = new SyncManager({
      address,
      authkey,
      iceServers: iceServersFlag(values),
      platform: await loadPlatform(values.webrtc as string | undefined),
      logger: stderrLogger,
    });
    await manager.start();
    stops.push(() => manager.shutdown());
    stderrLogger.info(`serving SyncManager objects to peers on ${address}`);
    if (listen) {
      const { startPythonListener } = await import('./python.js');
      await startPythonListener(manager, listen, stderrLogger, pythonFlags, 'client');
    }
  } else if (listen) {
    const { startPythonRegistryListener } = await import('./python.js');
    const server = await startPythonRegistryListener(syncRegistry(), authkey, listen, stderrLogger, pythonFlags);
    stops.push(() => server.close());
  }
  // Until stopped, as serve_forever(): Ctrl-C or a service stop ends it cleanly.
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  stderrLogger.info(`${signal}: shutting down`);
  await Promise.allSettled(stops.map((stop) => stop()));
  return EXIT_OK;
}
