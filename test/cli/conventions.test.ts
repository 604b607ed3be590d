import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSignal } from '../support/cli-signal.js';
import { killAll, peerproc } from '../support/processes.js';

afterEach(() => killAll());

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const SUMMARY = /^peerproc master: (\d+) of (\d+) results, (\d+) duplicates? ignored, \d+\.\d\d s, [\d,.]+ results\/s$/;

describe('peerproc CLI conventions', () => {
  it.each(['signal', 'master', 'worker', 'bridge', 'demo'])(
    '%s answers -h and --help with its usage, exit 0',
    async (command) => {
      for (const flag of ['-h', '--help']) {
        const run = peerproc([command, flag]);
        expect(await run.exited).toBe(0);
        expect(run.stdout.join('\n')).toMatch(new RegExp(`^Usage: peerproc ${command}`));
        expect(run.stdout.join('\n')).toMatch(/-h, --help|--help, -h/);
      }
    },
  );

  it('peerproc -h lists the commands', async () => {
    const run = peerproc(['-h']);
    expect(await run.exited).toBe(0);
    expect(run.stdout.join('\n')).toMatch(/^Usage: peerproc <command>/);
  });

  it('a worker says at once that the signaling server is unreachable, keeps retrying within --wait, then fails without "worker exit."', async () => {
    const port = await closedPort();
    const worker = peerproc([
      'worker',
      '--address',
      `ws://127.0.0.1:${port}/jobs?token=secret`,
      '--authkey',
      'k',
      '--wait',
      '3',
    ]);
    const notice = (await worker.line(/unreachable/, 'stderr', 10_000)).input;
    // Said while the worker still retries, not when it gives up.
    expect(worker.child.exitCode).toBeNull();
    expect(notice).toMatch(
      new RegExp(
        `^peerproc worker: signaling server ws://127\\.0\\.0\\.1:${port}/jobs unreachable \\(.+\\); retrying for up to [0-3] s$`,
      ),
    );
    expect(worker.stderr.join('\n')).not.toMatch(/secret/);
    expect(await worker.exited).toBe(1);
    // Said once per outage, not once per retry.
    expect(worker.stderr.filter((l) => /unreachable/.test(l))).toHaveLength(1);
    expect(worker.stderr.join('\n')).toMatch(/ConnectTimeoutError: no master reachable .* within 3 s/);
    expect(worker.stdout).not.toContain('worker exit.');
  });

  it('a worker reaches a signaling server that comes up within --wait', async () => {
    const port = await closedPort();
    const address = `ws://127.0.0.1:${port}/late`;
    const worker = peerproc(['worker', '--address', address, '--authkey', 'k', '--wait', '30']);
    await worker.line(/unreachable/, 'stderr', 10_000);
    const signal = peerproc(['signal', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn']);
    await signal.waitForLine(/listening on/);
    const master = peerproc(['master', '--address', address, '--authkey', 'k', '--tasks', '3']);
    expect(await master.exited).toBe(0);
    expect(await worker.exited).toBe(0);
    expect(worker.stdout.at(-1)).toBe('worker exit.');
  });

  it('the master ends with a one-line summary on stderr; --quiet prints only that', async () => {
    const { base } = await startSignal();
    const loud = peerproc(['master', '--address', `${base}/loud`, '--authkey', 'k', '--tasks', '20']);
    const loudWorker = peerproc(['worker', '--address', `${base}/loud`, '--authkey', 'k']);
    const quiet = peerproc(['master', '--address', `${base}/quiet`, '--authkey', 'k', '--tasks', '20', '--quiet']);
    const quietWorker = peerproc(['worker', '--address', `${base}/quiet`, '--authkey', 'k']);
    for (const run of [loud, loudWorker, quiet, quietWorker]) expect(await run.exited, run.output()).toBe(0);

    expect(loud.stdout.filter((l) => l.startsWith('Result: '))).toHaveLength(20);
    expect(loud.stderr.at(-1)).toMatch(SUMMARY);
    expect(SUMMARY.exec(loud.stderr.at(-1) ?? '')?.slice(1, 3)).toEqual(['20', '20']);

    expect(quiet.stdout.filter((l) => l !== '')).toEqual([]);
    expect(quiet.stderr.at(-1)).toMatch(SUMMARY);
    expect(SUMMARY.exec(quiet.stderr.at(-1) ?? '')?.slice(1, 4)).toEqual(['20', '20', '0']);
  });

  it('a master that gives up still prints its summary', async () => {
    const { base } = await startSignal();
    const master = peerproc([
      'master',
      '--address',
      `${base}/alone`,
      '--authkey',
      'k',
      '--tasks',
      '2',
      '--timeout',
      '0.5',
      '-q',
    ]);
    expect(await master.exited).toBe(1);
    expect(master.stderr.at(-1)).toMatch(SUMMARY);
    expect(SUMMARY.exec(master.stderr.at(-1) ?? '')?.slice(1, 3)).toEqual(['0', '2']);
  });
});
