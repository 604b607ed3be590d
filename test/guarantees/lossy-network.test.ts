/**
 * Runs over a network that loses UDP packets at random: every peer of a run
 * sits in one fresh nested namespace (scripts/lossy-netns.sh) whose nftables
 * output chain drops that share of UDP packets, so ICE, DTLS and SCTP all
 * suffer it. Default flags everywhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type SignalProcess, startSignal } from '../support/cli-signal.js';
import { checkTranscript, killAll, peerproc } from '../support/processes.js';

let signal: SignalProcess | undefined;
afterEach(async () => {
  // A failed run never reached its own stop(), and killAll would end only the lossy namespace's bash, not the
  // server inside it: stop the server first (through that bash), then the rest.
  if (signal && signal.run.child.exitCode === null) await signal.stop();
  killAll();
  signal = undefined;
});

describe.each([5, 20])('with %i percent of UDP packets dropped', (loss) => {
  it('20,000 tasks on 4 workers: every result exactly once, all processes exit 0', async () => {
    signal = await startSignal({ lossPercent: loss });
    const address = `${signal.base}/lossy`;
    const inside = { netnsOf: signal.netnsOf };
    const master = peerproc(['master', '--address', address, '--authkey', 'abc', '--tasks', '20000'], {}, inside);
    await master.waitForLine(/^Try get results\.\.\.$/);
    const workers = [1, 2, 3, 4].map(() => peerproc(['worker', '--address', address, '--authkey', 'abc'], {}, inside));
    expect(await master.exited, master.output()).toBe(0);
    expect(checkTranscript(master.stdout).results).toHaveLength(20_000);
    for (const worker of workers) expect(await worker.exited, worker.output()).toBe(0);
    const served = workers.filter((w) => w.stdout.some((l) => l.startsWith('run task'))).length;
    console.log(`${loss} % UDP loss: ${served} of 4 workers ran tasks`);
    // The lossy namespace's own guard: stopping the server ends netns.sh, which fails if a packet tried to leave.
    expect(await signal.stop()).toBe(0);
    expect(signal.run.stdout).toContain('network guard: 0 packets to non-local addresses dropped');
  });
});
