/**
 * `peerproc demo`: the whole distributed-process example in one command. A
 * signaling server on a free loopback port, then a master and two worker
 * processes (real `peerproc` processes over WebRTC), their transcripts
 * prefixed by who printed them. Exits 0 only if every process did.
 */

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { generateAuthkey } from '../../shared/manager/authkey.js';
import { startSignalingServer } from '../../signaling/index.js';
import { cliPath } from '../package-manifest.js';
import { EXIT_FAILURE, EXIT_OK, numberFlag, parseFlags } from './common.js';

export const DEMO_USAGE = `Usage: peerproc demo [--tasks N] [--workers N]

Runs the classic example on this machine: a signaling server on a free
loopback port, a master putting --tasks (10) tasks and --workers (2) workers.

  -h, --help           this help`;

/** Demo authkey, fresh per run: the processes share it through the environment, never argv. */
const DEMO_AUTHKEY = generateAuthkey();
/** Upper bound for the whole demo, so a broken setup fails instead of hanging. */
const DEMO_TIMEOUT_MS = 120_000;

function run(label: string, args: string[], out: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath(), ...args], {
      env: { ...process.env, PEERPROC_AUTHKEY: DEMO_AUTHKEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), DEMO_TIMEOUT_MS);
    createInterface({ input: child.stdout }).on('line', (line) => out(`[${label}] ${line}`));
    createInterface({ input: child.stderr }).on('line', (line) => out(`[${label}] ${line}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code ?? EXIT_FAILURE);
    });
  });
}

export async function runDemo(argv: string[], out: (line: string) => void): Promise<number> {
  const values = parseFlags(argv, { tasks: { type: 'string' }, workers: { type: 'string' } });
  if (values.help) {
    out(DEMO_USAGE);
    return EXIT_OK;
  }
  const tasks = numberFlag(values, 'tasks', 10, { integer: true });
  const workers = numberFlag(values, 'workers', 2, { integer: true, min: 1 });
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'warn' });
  const address = server.wsUrl('demo');
  out(`[signal] peerproc signaling server listening on ${server.url.replace(/^http/, 'ws')}`);
  try {
    // The master waits for every worker, so each gets a share of the (instant) tasks.
    const master = run(
      'master',
      ['master', '--address', address, '--tasks', String(tasks), '--min-workers', String(workers)],
      out,
    );
    // Default flags: a worker that connects first waits for its first task while the master waits for the others.
    const workerRuns = Array.from({ length: workers }, (_, i) =>
      run(`worker ${i + 1}`, ['worker', '--address', address], out),
    );
    const codes = await Promise.all([master, ...workerRuns]);
    const failed = codes.filter((c) => c !== EXIT_OK).length;
    out(failed === 0 ? 'demo: all processes exited 0' : `demo: ${failed} process(es) failed`);
    return failed === 0 ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await server.close();
  }
}
