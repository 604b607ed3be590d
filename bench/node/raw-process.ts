/**
 * The floor under peerproc: the same WebRTC binding with nothing on top. Two
 * peer connections in this process (SDP and candidates handed over directly,
 * no signaling), one pre-negotiated data channel, then a small-message
 * ping-pong (round trip p50/p99) and a bulk transfer in 16 KiB messages
 * (respecting bufferedAmount). What peerproc adds is the difference.
 */
import { loadPlatform } from 'peerproc';
import { childConfig, describe, emit } from '../lib/ipc.js';
import { bulkTransfer, type RawChannel as Channel, rawPair } from '../lib/raw-pair.js';
import { latency } from '../lib/stats.js';
import type { RawConfig, RawReport } from './children-config.js';

/** The message size peerproc's framing uses (the interoperable data-channel limit). */
const CHUNK_BYTES = 16 * 1024;
/** A larger message size, for comparison (Node and Chrome peers accept 256 KiB). */
const LARGE_CHUNK_BYTES = 64 * 1024;
const WARMUP_ROUND_TRIPS = 200;

const config = childConfig<RawConfig>();

async function pingPong(ca: Channel, cb: Channel, calls: number): Promise<number[]> {
  cb.onmessage = (event) => cb.send(new Uint8Array(event.data as ArrayBuffer));
  const message = new Uint8Array(32);
  const samples: number[] = [];
  await new Promise<void>((resolve) => {
    let i = 0;
    let t0 = 0;
    ca.onmessage = () => {
      if (i >= WARMUP_ROUND_TRIPS) samples.push((performance.now() - t0) * 1000);
      if (++i >= WARMUP_ROUND_TRIPS + calls) return resolve();
      t0 = performance.now();
      ca.send(message);
    };
    t0 = performance.now();
    ca.send(message);
  });
  return samples;
}

async function main(): Promise<void> {
  const pair = await rawPair(await loadPlatform(config.binding));
  const { ca, cb } = pair;
  const rtt = await pingPong(ca, cb, config.calls);
  const bulkMs = await bulkTransfer(ca, cb, config.bytes, CHUNK_BYTES);
  const largeMs = await bulkTransfer(ca, cb, config.bytes, LARGE_CHUNK_BYTES);
  const mb = config.bytes / 1e6;
  const report: RawReport = {
    rttUs: latency(rtt),
    bulk: { bytes: config.bytes, chunkBytes: CHUNK_BYTES, ms: bulkMs, MBps: mb / (bulkMs / 1000) },
    bulkLarge: { bytes: config.bytes, chunkBytes: LARGE_CHUNK_BYTES, ms: largeMs, MBps: mb / (largeMs / 1000) },
  };
  emit('raw', report);
  pair.close();
}

main().then(
  () => process.send?.({ event: 'exit', data: 0 }, () => process.exit(0)),
  (err: unknown) => {
    emit('failed', describe(err));
    process.stderr.write(`raw process: ${describe(err)}\n`);
    setTimeout(() => process.exit(1), 50);
  },
);
