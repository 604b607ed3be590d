/**
 * The Python sides of the `peerproc` commands: `master --python-listen`
 * (startPythonListener) and `worker --python-master` (runPythonWorker). The
 * commands in node/commands/ parse the flags and call these.
 */
import { backoffDelay, sleep } from '../../shared/backoff.js';
import { AuthenticationError, ConnectionClosedError, ConnectTimeoutError, Empty } from '../../shared/errors.js';
import { squareText, transcript } from '../../shared/example.js';
import type { Logger } from '../../shared/logger.js';
import type { BaseManager } from '../../shared/manager/manager.js';
import type { Registry } from '../../shared/rpc/registry.js';
import { PythonManagerClient } from '../python/client.js';
import type { PythonServeFlags } from '../python/flags.js';
import { formatHostPort, type HostPort, parseHostPort } from '../python/options.js';
import type { PyValue } from '../python/pickle/index.js';
import { servePython } from '../python/serve.js';
import type { PythonConnectionInfo, PythonManagerServer } from '../python/server.js';
import { EXIT_FAILURE, EXIT_OK } from './common.js';

/** Seconds between retries while the Python master is not up yet (it is a TCP connect: cheap). */
const CONNECT_RETRY_MAX_MS = 1_000;

/** `worker` for a master's Python peers, `client` for `peerproc serve`'s. */
export type PythonPeerRole = 'worker' | 'client';

function peerName(info: PythonConnectionInfo, role: PythonPeerRole): string {
  return `python ${role} ${info.remote}${info.name ? ` (${info.name})` : ''}`;
}

/** Logs who comes and goes (and what they held) on a Python listener. */
function logConnections(server: PythonManagerServer, log: Logger, role: PythonPeerRole): void {
  server.on('accept', (info: PythonConnectionInfo) => log.info(`${peerName(info, role)} connected`));
  server.on('connectionClose', (info: PythonConnectionInfo) => {
    if (info.name !== undefined) log.info(`${peerName(info, role)} left`);
  });
  server.on('leasesReleased', (info: PythonConnectionInfo, count: number) =>
    log.warn(`${peerName(info, role)} left holding ${count} unacknowledged item(s); they go back to their queue`),
  );
}

/** `peerproc serve --python-listen` without `--address`: a bare registry (the SyncManager types) on TCP only. */
export async function startPythonRegistryListener(
  registry: Registry,
  authkey: string,
  flag: string,
  log: Logger,
  flags: PythonServeFlags = {},
): Promise<PythonManagerServer> {
  const { host, port } = parseHostPort(flag, 'python-listen');
  const server = await servePython(registry, { host, port, authkey, logger: { warn: (m) => log.warn(m) }, ...flags });
  logConnections(server, log, 'client');
  log.info(`serving Python clients on ${formatHostPort(server.address as HostPort)}`);
  return server;
}

/**
 * `peerproc master --python-listen HOST:PORT`: serves the master's queues to
 * CPython workers too, logging who comes and goes (and what they held) to `log`.
 */
export async function startPythonListener(
  // biome-ignore lint/suspicious/noExplicitAny: any master, whatever it registers.
  manager: BaseManager<any>,
  flag: string,
  log: Logger,
  flags: PythonServeFlags = {},
  role: PythonPeerRole = 'worker',
): Promise<PythonManagerServer> {
  const { host, port } = parseHostPort(flag, 'python-listen');
  const server = await servePython(manager, { host, port, logger: { warn: (m) => log.warn(m) }, ...flags });
  logConnections(server, log, role);
  log.info(`serving Python ${role}s on ${formatHostPort(server.address as HostPort)}`);
  return server;
}

export interface PythonWorkerOptions {
  /** `HOST:PORT` of the CPython master (`--python-master`). */
  master: string;
  authkey: string;
  /** Seconds of empty task queue before leaving (the classic worker's `get(timeout=1)`). */
  idle: number;
  /** Seconds to keep retrying while the master is not listening yet. */
  wait: number;
  /** Simulated work per task, in seconds. */
  work: number;
}

/** The example's answer for a task from a Python master, which may send any value: only integers are squared. */
function squareLine(n: PyValue): string {
  if (typeof n === 'bigint' || (typeof n === 'number' && Number.isInteger(n))) return squareText(n);
  throw new TypeError(`task ${String(n)} is not an integer`);
}

async function connectWithRetry(client: PythonManagerClient, target: string, waitSeconds: number): Promise<void> {
  const deadline = performance.now() + waitSeconds * 1000;
  for (let attempt = 0; ; attempt++) {
    try {
      await client.connect();
      return;
    } catch (err) {
      // Nothing listening yet: wait for it. A wrong key or a broken peer is final.
      if (!(err instanceof ConnectionClosedError) || performance.now() >= deadline) {
        if (err instanceof ConnectionClosedError) {
          throw new ConnectTimeoutError(
            'NO_MASTER',
            `no Python master at ${target} within ${waitSeconds} s (${err.message})`,
          );
        }
        throw err;
      }
    }
    await sleep(Math.min(backoffDelay(attempt, 50, CONNECT_RETRY_MAX_MS), Math.max(0, deadline - performance.now())));
  }
}

/**
 * `peerproc worker --python-master HOST:PORT`: the classic task_worker.py
 * against an unmodified CPython master, with the same transcript as our
 * WebRTC worker. The master shutting down while we wait for a task (the
 * classic master does so right after its last result) ends the work cleanly.
 */
export async function runPythonWorker(options: PythonWorkerOptions, out: (line: string) => void): Promise<number> {
  const { host, port } = parseHostPort(options.master, 'python-master');
  const target = formatHostPort({ host, port });
  const client = new PythonManagerClient({ host, port, authkey: options.authkey });
  out(`Connect to server ${target}...`);
  try {
    await connectWithRetry(client, target, options.wait);
    const task = await client.proxy('get_task_queue');
    const result = await client.proxy('get_result_queue');
    for (;;) {
      let n: PyValue;
      try {
        n = await task.get({ timeout: options.idle });
      } catch (err) {
        if (err instanceof Empty) {
          out('task queue is empty.');
          return EXIT_OK;
        }
        if (err instanceof ConnectionClosedError) {
          process.stderr.write(`peerproc worker: the Python master at ${target} closed the connection\n`);
          return EXIT_OK;
        }
        throw err;
      }
      out(transcript.runTask(n));
      if (options.work > 0) await sleep(options.work * 1000);
      await result.put(squareLine(n));
    }
  } catch (err) {
    if (err instanceof AuthenticationError) {
      process.stderr.write(`peerproc worker: the Python master at ${target} rejected the authkey (${err.message})\n`);
      return EXIT_FAILURE;
    }
    throw err;
  } finally {
    await client.close();
    out('worker exit.');
  }
}
