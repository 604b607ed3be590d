/**
 * `peerproc worker`: Python's task_worker.py. Connects to the master, takes
 * tasks until the queue stays empty for --idle seconds or the master shuts
 * down, and returns `n * n = n²` for each.
 */
import { ConnectionClosedError, Empty, PeerShutdownError } from '../../shared/errors.js';
import type { Queue } from '../../shared/queue.js';
import { BaseManager } from '../index.js';
import { loadPlatform } from '../platform.js';
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

export const WORKER_USAGE = `Usage: peerproc worker --address ws://HOST:PORT/ROOM --authkey KEY [options]

  --address URL        signaling server and room of the master
  --authkey KEY        shared secret (or PEERPROC_AUTHKEY)
  --idle SECONDS       exit once the task queue has been empty this long (1)
  --wait SECONDS       how long to wait for the signaling server and a master (30)
  --ice-servers JSON   STUN/TURN servers (default: those the signaling server hands out)
  --webrtc NAME        WebRTC binding: node-datachannel (default) or wrtc`;

interface Jobs {
  get_task_queue: Queue<number>;
  get_result_queue: Queue<string>;
}

export async function runWorker(argv: string[], out: (line: string) => void): Promise<number> {
  const values = parseFlags(argv, {
    ...CONNECTION_FLAGS,
    idle: { type: 'string' },
    wait: { type: 'string' },
  });
  if (values.help) {
    out(WORKER_USAGE);
    return EXIT_OK;
  }
  const address = requireString(values, 'address');
  const authkey = requireString(values, 'authkey', 'PEERPROC_AUTHKEY');
  const idle = numberFlag(values, 'idle', 1);
  const wait = numberFlag(values, 'wait', 30);

  const manager = new BaseManager<Jobs>({
    address,
    authkey,
    wait,
    iceServers: iceServersFlag(values),
    platform: await loadPlatform(values.webrtc as string | undefined),
    logger: stderrLogger,
  });
  manager.register('get_task_queue');
  manager.register('get_result_queue');
  out(`Connect to server ${address}...`);
  await manager.connect();
  try {
    const task = await manager.get_task_queue();
    const result = await manager.get_result_queue();
    for (;;) {
      let n: number;
      try {
        n = await task.get({ timeout: idle });
      } catch (err) {
        if (err instanceof Empty) {
          out('task queue is empty.');
          break;
        }
        throw err;
      }
      out(`run task ${n} * ${n}...`);
      await result.put(`${n} * ${n} = ${n * n}`);
    }
    return EXIT_OK;
  } catch (err) {
    // A master that shut down cleanly ends the work; one that vanished is a failure.
    if (err instanceof PeerShutdownError) {
      out(`master shut down: ${err.message}`);
      return EXIT_OK;
    }
    if (err instanceof ConnectionClosedError) {
      process.stderr.write(`peerproc worker: lost the master: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    throw err;
  } finally {
    await manager.shutdown();
    out('worker exit.');
  }
}
