/**
 * `peerproc bridge`: puts a room of WebRTC workers (Node, browsers) behind an
 * unmodified CPython master (task_master.py). Connects to the Python master
 * as a CPython client, hosts the room as its master, and forwards tasks and
 * results between them (design and delivery guarantees: node/python/bridge.ts).
 * Exits 0 when the Python master shuts down (its run is over).
 */
import { AuthenticationError } from '../../shared/errors.js';
import { closeOnStopSignals } from '../exit-after-flush.js';
import { BaseManager } from '../manager.js';
import { loadPlatform } from '../platform.js';
import { DEFAULT_BRIDGE_BUFFER, PythonBridge } from '../python/bridge.js';
import { formatHostPort, parseHostPort } from '../python/options.js';
import {
  CONNECTION_FLAGS,
  EXIT_FAILURE,
  EXIT_OK,
  iceServersFlag,
  numberFlag,
  parseFlags,
  requireString,
  stderrLogger,
} from './common.js';

export const BRIDGE_USAGE = `Usage: peerproc bridge --python-master HOST:PORT --address ws://HOST:PORT/ROOM --authkey KEY [options]

  --python-master HOST:PORT  the CPython master (its BaseManager address)
  --address URL              signaling server and room the bridge hosts for WebRTC workers
  --authkey KEY              shared secret of the room and of the Python master (or PEERPROC_AUTHKEY)
  --python-authkey KEY       the Python master's authkey, when it differs (or PEERPROC_PYTHON_AUTHKEY)
  --buffer N                 most tasks taken from Python ahead of the workers (${DEFAULT_BRIDGE_BUFFER})
  --ice-servers JSON         STUN/TURN servers (default: those the signaling server hands out)
  --webrtc NAME              WebRTC binding: node-datachannel (default) or wrtc
  -h, --help                 this help`;

export async function runBridge(argv: string[], out: (line: string) => void): Promise<number> {
  const values = parseFlags(argv, {
    ...CONNECTION_FLAGS,
    'python-master': { type: 'string' },
    'python-authkey': { type: 'string' },
    buffer: { type: 'string' },
  });
  if (values.help) {
    out(BRIDGE_USAGE);
    return EXIT_OK;
  }
  const python = parseHostPort(requireString(values, 'python-master'), 'python-master');
  const address = requireString(values, 'address');
  const authkey = requireString(values, 'authkey', 'PEERPROC_AUTHKEY');
  const pythonAuthkey =
    (values['python-authkey'] as string | undefined) ?? process.env.PEERPROC_PYTHON_AUTHKEY ?? authkey;
  const buffer = numberFlag(values, 'buffer', DEFAULT_BRIDGE_BUFFER, { integer: true, min: 1 });
  const target = formatHostPort(python);

  const manager = new BaseManager({
    address,
    authkey,
    iceServers: iceServersFlag(values),
    platform: await loadPlatform(values.webrtc as string | undefined),
    logger: stderrLogger,
  });
  manager.on((event) => {
    if (event.type === 'worker-authenticated') stderrLogger.info(`worker ${event.peer} connected`);
  });
  out(`Connect to server ${target}...`);
  let bridge: PythonBridge;
  try {
    bridge = await PythonBridge.start(manager, { ...python, authkey: pythonAuthkey }, { buffer, logger: stderrLogger });
  } catch (err) {
    if (err instanceof AuthenticationError) {
      process.stderr.write(`peerproc bridge: the Python master at ${target} rejected the authkey (${err.message})\n`);
      return EXIT_FAILURE;
    }
    throw err;
  }
  out(`bridge: room ${address} serves the Python master at ${target}`);
  closeOnStopSignals('shutting down; unfinished tasks go back to the Python master', () => bridge.close());
  const end = await bridge.done;
  const s = bridge.stats;
  if (end === 'python-master-gone') out(`bridge: the Python master at ${target} closed the connection.`);
  out(
    `bridge: ${s.tasksIn} task(s) from Python, ${s.resultsOut} result(s) returned, ` +
      `${s.redeliveries} redelivered after a worker was lost, ${s.duplicatesDropped} duplicate result(s) dropped` +
      (s.tasksReturned > 0 ? `, ${s.tasksReturned} task(s) given back to Python` : ''),
  );
  out('bridge exit.');
  return EXIT_OK;
}
