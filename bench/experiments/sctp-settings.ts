/**
 * Whether node-datachannel's SCTP settings raise the bare channel's bulk
 * rate (docs/performance.md, "Payload"): one setting set per process (the
 * settings are global and apply to associations made after them), then
 * 32 MiB in 16 KiB messages over a bare pair, three times.
 *
 *   for s in defaults buffers cwnd nosack; do
 *     bash scripts/netns.sh node dist/bench/experiments/sctp-settings.js $s; done
 */
import nodeDataChannel from 'node-datachannel';
import { loadPlatform } from 'peerproc';
import { runExperiment } from '../lib/experiment.js';
import { bulkTransfer, rawPair } from '../lib/raw-pair.js';

const MiB = 2 ** 20;
const SETTINGS: Record<string, Parameters<typeof nodeDataChannel.setSctpSettings>[0] | undefined> = {
  defaults: undefined,
  buffers: { recvBufferSize: 8 * MiB, sendBufferSize: 8 * MiB },
  cwnd: { recvBufferSize: 8 * MiB, sendBufferSize: 8 * MiB, initialCongestionWindow: MiB, maxChunksOnQueue: 100_000 },
  nosack: { delayedSackTime: 0 },
};
const BYTES = 32 * MiB;
const CHUNK_BYTES = 16 * 1024;

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'defaults';
  if (!(name in SETTINGS)) throw new TypeError(`expected one of ${Object.keys(SETTINGS).join(', ')}, got \`${name}\``);
  const settings = SETTINGS[name];
  if (settings) nodeDataChannel.setSctpSettings(settings);
  const pair = await rawPair(await loadPlatform('node-datachannel'));
  try {
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ms = await bulkTransfer(pair.ca, pair.cb, BYTES, CHUNK_BYTES);
      runs.push((BYTES / 1e6 / (ms / 1000)).toFixed(0));
    }
    process.stdout.write(`${name} ${JSON.stringify(settings ?? {})}: ${runs.join(' / ')} MB/s\n`);
  } finally {
    pair.close();
  }
}

runExperiment('sctp-settings', main);
