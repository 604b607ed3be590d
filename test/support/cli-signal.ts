/** A real `peerproc signal` process for CLI scenarios, optionally in its own lossy network namespace. */
import { fileURLToPath } from 'node:url';
import { CLI, collected, peerproc, type Run } from './processes.js';

const LOSSY_NETNS = fileURLToPath(new URL('../../scripts/lossy-netns.sh', import.meta.url));
const SIGNAL_ARGS = ['signal', '--host', '127.0.0.1', '--log-level', 'warn'];

export interface SignalProcess {
  run: Run;
  /** ws://127.0.0.1:PORT */
  base: string;
  /** Pass as `netnsOf` so that masters and workers join the signaling server's namespace (lossy runs only). */
  netnsOf: number | undefined;
  /** SIGTERM, then the exit code (for a lossy namespace: netns.sh's, which fails if its guard counted a packet). */
  stop(): Promise<number | null>;
}

/**
 * `lossPercent` puts the server in a fresh nested namespace (scripts/lossy-netns.sh) where that share of
 * UDP packets is dropped; peers started with its `netnsOf` share that network.
 */
export async function startSignal({
  lossPercent,
  port = 0,
}: {
  lossPercent?: number;
  /** A given port (a restart on the same address); default: a free one. */
  port?: number;
} = {}): Promise<SignalProcess> {
  const args = [...SIGNAL_ARGS, '--port', String(port)];
  const run =
    lossPercent === undefined
      ? peerproc(args)
      : collected('bash', [LOSSY_NETNS, String(lossPercent), process.execPath, CLI, ...args]);
  const line = await run.waitForLine(/listening on ws:\/\/127\.0\.0\.1:\d+/);
  const base = /(ws:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] as string;
  const netnsOf = lossPercent === undefined ? undefined : run.child.pid;
  return {
    run,
    base,
    netnsOf,
    stop: async () => {
      // In the lossy case the child is bash running netns.sh: signal the server through its process group.
      if (lossPercent === undefined) run.child.kill('SIGTERM');
      else collected('pkill', ['-TERM', '-P', String(run.child.pid)]);
      return run.exited;
    },
  };
}

/** Counts of a master's transcript lines. */
export function resultLines(lines: string[]): string[] {
  return lines.filter((l) => l.startsWith('Result: '));
}
