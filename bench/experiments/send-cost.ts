/**
 * What one `RTCDataChannel.send()` costs as the number of open peer
 * connections grows (docs/performance.md, "Many workers"): N connections in
 * this process (N/2 bare pairs), then 3,000 sends of 2 KB spread over all of
 * them, each timed on the calling thread, three times per N.
 *
 *   bash scripts/netns.sh node dist/bench/experiments/send-cost.js [2,100,300,500]
 */
import { loadPlatform } from 'peerproc';
import { runExperiment } from '../lib/experiment.js';
import { type RawPair, rawPair } from '../lib/raw-pair.js';

const SENDS = 3_000;
const MESSAGE_BYTES = 2_000;
const RUNS = 3;

/** Microseconds per send(), sends spread round-robin over the pairs' channels. */
async function timeSends(pairs: readonly RawPair[]): Promise<number> {
  const message = new Uint8Array(MESSAGE_BYTES);
  let received = 0;
  const arrived = new Promise<void>((resolve) => {
    for (const pair of pairs)
      pair.cb.onmessage = () => {
        if (++received >= SENDS) resolve();
      };
  });
  let spentMs = 0;
  for (let i = 0; i < SENDS; i++) {
    const channel = (pairs[i % pairs.length] as RawPair).ca;
    const started = performance.now();
    channel.send(message);
    spentMs += performance.now() - started;
    // Let the loop turn now and then, as a serving master's does.
    if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  await arrived;
  return (spentMs / SENDS) * 1000;
}

async function main(): Promise<void> {
  const counts = (process.argv[2] ?? '2,100,300,500').split(',').map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 2 || n % 2 !== 0)) {
    throw new TypeError(`expected even connection counts ≥ 2, like 2,100,300, got \`${process.argv[2]}\``);
  }
  const platform = await loadPlatform('node-datachannel');
  const pairs: RawPair[] = [];
  try {
    for (const connections of counts) {
      while (pairs.length * 2 < connections) pairs.push(await rawPair(platform));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const runs: string[] = [];
      for (let r = 0; r < RUNS; r++) runs.push((await timeSends(pairs)).toFixed(1));
      process.stdout.write(`${connections} connections: send() ${runs.join(' / ')} µs each\n`);
    }
  } finally {
    for (const pair of pairs) pair.close();
  }
}

runExperiment('send-cost', main);
