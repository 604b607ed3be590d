/**
 * A real redis-server (Debian's `redis-server` package; scripts/install-system-deps.sh
 * installs it) on a free loopback port, without persistence, for the cluster tests.
 * Every server started here is killed by `stopAllRedis()` (call it in afterAll).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  /** SIGKILLs the server (nothing is saved, so its data is gone) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts a new, empty server on the same port. */
  restart(): Promise<void>;
}

const READY = /Ready to accept connections/;
const START_LIMIT_MS = 10_000;
const running = new Set<ChildProcess>();

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function spawnRedis(port: number, extra: readonly string[]): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'notice',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} did not start within ${START_LIMIT_MS} ms:\n${output}`));
    }, START_LIMIT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (READY.test(output)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT'
          ? new Error(
              'redis-server is not installed: run scripts/install-system-deps.sh (apt-get install redis-server)',
            )
          : err,
      );
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on port ${port} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** `extra`: more redis-server options, e.g. `['--requirepass', 'pw']`. */
export async function startRedis(extra: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort();
  let child = await spawnRedis(port, extra);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => killAndWait(child),
    restart: async () => {
      await killAndWait(child);
      child = await spawnRedis(port, extra);
    },
  };
}

export async function stopAllRedis(): Promise<void> {
  await Promise.all([...running].map(killAndWait));
}
