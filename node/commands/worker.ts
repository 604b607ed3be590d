/**
 * `peerproc worker`: Python's task_worker.py. Connects to the master, takes
 * tasks until the queue stays empty for --idle seconds or the master shuts
 * down, and returns `n * n = n²` for each.
 */

import { ConfigError, ConnectTimeoutError, Empty, PeerShutdownError } from '../../shared/errors.js';
import { squareText, transcript } from '../../shared/example.js';
import { JOB_TYPEID } from '../../shared/jobs/protocol.js';
import type { ManagerEvent } from '../../shared/manager/events.js';
import { withoutQuery } from '../../shared/signaling/protocol.js';
import type { IceServer, Platform } from '../../shared/webrtc/platform.js';
import {
  closeJobPools,
  prepareWorkerJob,
  serveJob,
  WORKER_JOB_FLAGS,
  WORKER_JOB_USAGE,
  type WorkerJobSetup,
} from '../jobs/worker-job.js';
import { BaseManager } from '../manager.js';
import { loadPlatform } from '../platform.js';
import {
  CONNECTION_FLAGS,
  EXIT_FAILURE,
  EXIT_OK,
  iceServersFlag,
  type Jobs,
  numberFlag,
  type Options,
  parseFlags,
  requireString,
  stderrLogger,
} from './common.js';
import { type SessionOutcome, sessionEndedBy } from './session-end.js';

export const WORKER_USAGE = `Usage: peerproc worker --address ws://HOST:PORT/ROOM --authkey KEY [options]
       peerproc worker --python-master HOST:PORT --authkey KEY [options]

  --address URL        signaling server and room of the master
  --authkey KEY        shared secret (or PEERPROC_AUTHKEY)
  --idle SECONDS       exit once the task queue has been empty this long, with no task
                       in flight at other workers (those may still come back) (1)
  --wait SECONDS       how long to wait for the signaling server and a master, at start
                       and after losing a master that crashed or restarted, and for the
                       master's first task (30)
  --work SECONDS       simulated work per task, like the seed's time.sleep(1) (0)
  --ice-servers JSON   STUN/TURN servers (default: those the signaling server hands out)
  --webrtc NAME        WebRTC binding: node-datachannel (default) or wrtc
  --python-master HOST:PORT
                       work for an unmodified CPython master (task_master.py) over TCP
                       instead of a room; its address=(HOST, PORT) and authkey
  -h, --help           this help
${WORKER_JOB_USAGE}`;

/** A wrong address or a server that is down is said at once, not after --wait seconds of silence. */
function reportUnreachable(event: ManagerEvent): void {
  if (event.type !== 'signaling-unreachable') return;
  process.stderr.write(
    `peerproc worker: signaling server ${event.url} unreachable (${event.reason}); retrying for up to ${event.retryFor} s\n`,
  );
}

/**
 * Serves one master until the queue stays empty, the master shuts down, or it
 * is lost. Its first get waits `firstWait` (see serveSession), the others `idle`.
 */
async function serve(
  manager: BaseManager<Jobs>,
  { idle, firstWait, work }: { idle: number; firstWait: number; work: number },
  out: (line: string) => void,
): Promise<SessionOutcome> {
  try {
    const task = await manager.get_task_queue();
    const result = await manager.get_result_queue();
    for (let first = true; ; first = false) {
      let n: number;
      try {
        n = await task.get({ timeout: first ? firstWait : idle });
      } catch (err) {
        if (err instanceof Empty) {
          out('task queue is empty.');
          return 'done';
        }
        throw err;
      }
      out(transcript.runTask(n));
      if (work > 0) await new Promise((resolve) => setTimeout(resolve, work * 1000));
      await result.put(squareText(n));
    }
  } catch (err) {
    return sessionEndedBy(err, out);
  } finally {
    await manager.shutdown();
  }
}

const WORKER_FLAGS: Options = {
  ...CONNECTION_FLAGS,
  idle: { type: 'string' },
  wait: { type: 'string' },
  work: { type: 'string' },
  'python-master': { type: 'string' },
  ...WORKER_JOB_FLAGS,
};

/** `--python-master HOST:PORT`: the seed's loop for a CPython master over TCP (python.ts). */
async function runForPythonMaster(
  values: Record<string, unknown>,
  master: string,
  out: (line: string) => void,
): Promise<number> {
  if (values.job !== undefined || values['job-from-master'] !== undefined) {
    throw new ConfigError("--job runs a peerproc master's job; a CPython master (--python-master) serves none");
  }
  const { runPythonWorker } = await import('./python.js');
  return runPythonWorker(
    {
      master,
      authkey: requireString(values, 'authkey', 'PEERPROC_AUTHKEY'),
      idle: numberFlag(values, 'idle', 1),
      wait: numberFlag(values, 'wait', 30),
      work: numberFlag(values, 'work', 0),
    },
    out,
  );
}

/** A room worker's flags, checked; its WebRTC binding loaded and its --job file bundled, all before connecting. */
interface WorkerOptions {
  address: string;
  authkey: string;
  idle: number;
  wait: number;
  work: number;
  platform: Platform;
  iceServers: IceServer[] | undefined;
  job: WorkerJobSetup;
}

async function workerOptions(values: Record<string, unknown>): Promise<WorkerOptions> {
  const address = requireString(values, 'address');
  const authkey = requireString(values, 'authkey', 'PEERPROC_AUTHKEY');
  const idle = numberFlag(values, 'idle', 1);
  const wait = numberFlag(values, 'wait', 30);
  const work = numberFlag(values, 'work', 0);
  const platform = await loadPlatform(values.webrtc as string | undefined);
  const iceServers = iceServersFlag(values);
  const job = await prepareWorkerJob(values);
  return { address, authkey, idle, wait, work, platform, iceServers, job };
}

/** A new manager for each connection: the one whose master was lost has shut down. */
function workerManager({ address, authkey, wait, iceServers, platform }: WorkerOptions): BaseManager<Jobs> {
  const manager = new BaseManager<Jobs>({ address, authkey, wait, iceServers, platform, logger: stderrLogger });
  manager.register('get_task_queue');
  manager.register('get_result_queue');
  manager.on(reportUnreachable);
  manager.register(JOB_TYPEID);
  return manager;
}

/** Connects; an exit code instead when there is no master to work for (any longer). */
async function connectOrExit(
  manager: BaseManager<Jobs>,
  reconnecting: boolean,
  wait: number,
  out: (line: string) => void,
): Promise<number | undefined> {
  try {
    await manager.connect();
    return undefined;
  } catch (err) {
    if (err instanceof PeerShutdownError) {
      // Started late, or the master finished while we connected: nothing left to do.
      out(`${err.message}.`);
      out('worker exit.');
      return EXIT_OK;
    }
    if (reconnecting && err instanceof ConnectTimeoutError) {
      process.stderr.write(`peerproc worker: the master did not come back within ${wait} s\n`);
      return EXIT_FAILURE;
    }
    throw err;
  }
}

/**
 * One master's session: the job, when either side has one, else the seed's
 * loop on the same manager. Both wait for their first task up to --wait, not
 * --idle: a worker that joined before the master began putting (a master
 * waiting for --min-workers) is waiting for the master, not idle.
 */
async function serveSession(
  manager: BaseManager<Jobs>,
  { job, idle, wait, work }: WorkerOptions,
  out: (line: string) => void,
): Promise<SessionOutcome> {
  const firstWait = Math.max(idle, wait);
  const outcome = await serveJob(manager, job, { idle, firstWait }, out).catch(async (err) => {
    await closeJobPools();
    throw err;
  });
  return outcome ?? (await serve(manager, { idle, firstWait, work }, out));
}

export async function runWorker(argv: string[], out: (line: string) => void): Promise<number> {
  const values = parseFlags(argv, WORKER_FLAGS);
  if (values.help) {
    out(WORKER_USAGE);
    return EXIT_OK;
  }
  const pythonMaster = values['python-master'];
  if (typeof pythonMaster === 'string') return runForPythonMaster(values, pythonMaster, out);
  const options = await workerOptions(values);
  // As the seed prints it, less the query: an access token in the address must not reach a log.
  out(`Connect to server ${withoutQuery(options.address)}...`);
  // A master that crashed or restarted is waited for (up to --wait); one that shut down cleanly ends the work.
  for (let connected = false; ; connected = true) {
    const manager = workerManager(options);
    const exit = await connectOrExit(manager, connected, options.wait, out);
    if (exit !== undefined) return exit;
    if (connected) out('reconnected to the master.');
    if ((await serveSession(manager, options, out)) !== 'master-lost') {
      await closeJobPools();
      out('worker exit.');
      return EXIT_OK;
    }
  }
}
