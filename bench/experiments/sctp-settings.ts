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
import { type RawChannel, rawPair } from '../lib/raw-pair.js';

const MiB = 2 ** 20;
const SETTINGS: Record<string, Parameters<typeof nodeDataChannel.setSctpSettings>[0] | undefined> = {
  defaults: undefined,
  buffers: { recvBufferSize: 8 * MiB, sendBufferSize: 8 * MiB },
  cwnd: { recvBufferSize: 8 * MiB, sendBufferSize: 8 * MiB, initialCongestionWindow: MiB, maxChunksOnQueue: 100_000 },
  nosack: { delayedSackTime: 0 },
};
const BYTES = 32 * MiB;
const CHUNK_BYTES = 16 * 1024;
/** As the link and the bench's floor: wait below this much buffered. */
const HIGH_WATER_BYTES = MiB;

/** MB/s (10⁶ bytes) of BYTES from ca to cb in CHUNK_BYTES messages. */
async function bulk(ca: RawChannel, cb: RawChannel): Promise<number> {
  const chunk = new Uint8Array(CHUNK_BYTES).fill(7);
  let received = 0;
  const done = new Promise<void>((resolve) => {
    cb.onmessage = (event) => {
      received += (event.data as ArrayBuffer).byteLength;
      if (received >= BYTES) resolve();
    };
  });
  ca.bufferedAmountLowThreshold = HIGH_WATER_BYTES / 2;
  const started = performance.now();
  for (let sent = 0; sent < BYTES; sent += CHUNK_BYTES) {
    while (ca.bufferedAmount > HIGH_WATER_BYTES) {
      await new Promise<void>((resolve) => (ca.onbufferedamountlow = () => resolve()));
    }
    ca.send(chunk);
  }
  await done;
  return BYTES / 1e6 / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'defaults';
  if (!(name in SETTINGS)) throw new TypeError(`expected one of ${Object.keys(SETTINGS).join(', ')}, got \`${name}\``);
  const settings = SETTINGS[name];
  if (settings) nodeDataChannel.setSctpSettings(settings);
  const pair = await rawPair(await loadPlatform('node-datachannel'));
  try {
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) runs.push((await bulk(pair.ca, pair.cb)).toFixed(0));
    process.stdout.write(`${name} ${JSON.stringify(settings ?? {})}: ${runs.join(' / ')} MB/s\n`);
  } finally {
    pair.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`sctp-settings: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
