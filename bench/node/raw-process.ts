/**
 * The floor under peerproc: the same WebRTC binding with nothing on top. Two
 * peer connections in this process (SDP and candidates handed over directly,
 * no signaling), one pre-negotiated data channel, then a small-message
 * ping-pong (round trip p50/p99) and a bulk transfer in 16 KiB messages
 * (respecting bufferedAmount). What peerproc adds is the difference.
 */
import { loadPlatform } from 'peerproc';
import { childConfig, describe, emit } from '../lib/ipc.js';
import { type RawChannel as Channel, rawPair } from '../lib/raw-pair.js';
import { latency } from '../lib/stats.js';
import type { RawConfig, RawReport } from './children-config.js';

/** The message size peerproc's framing uses (the interoperable data-channel limit). */
const CHUNK_BYTES = 16 * 1024;
/** A larger message size, for comparison (Node and Chrome peers accept 256 KiB). */
const LARGE_CHUNK_BYTES = 64 * 1024;
/** Bytes allowed in the channel's send buffer before waiting (as peerproc's link does). */
const HIGH_WATER_BYTES = 1024 * 1024;
const WARMUP_ROUND_TRIPS = 200;

const config = childConfig<RawConfig>();

function toBytes(data: unknown): number {
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  return typeof data === 'string' ? data.length : 0;
}

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

async function bulk(ca: Channel, cb: Channel, bytes: number, chunkBytes: number): Promise<number> {
  const chunk = new Uint8Array(chunkBytes).fill(7);
  let received = 0;
  const started = performance.now();
  const done = new Promise<void>((resolve) => {
    cb.onmessage = (event) => {
      received += toBytes(event.data);
      if (received >= bytes) resolve();
    };
  });
  // Wait for the buffer to drain on the bufferedamountlow event where the binding has it, else poll.
  const hasLowEvent = 'onbufferedamountlow' in ca;
  if (hasLowEvent) ca.bufferedAmountLowThreshold = HIGH_WATER_BYTES / 2;
  const drained = () =>
    new Promise<void>((resolve) => {
      if (hasLowEvent) ca.onbufferedamountlow = () => resolve();
      else setTimeout(resolve, 1);
    });
  for (let sent = 0; sent < bytes; sent += chunkBytes) {
    while (ca.bufferedAmount > HIGH_WATER_BYTES) await drained();
    ca.send(sent + chunkBytes <= bytes ? chunk : chunk.subarray(0, bytes - sent));
  }
  await done;
  return performance.now() - started;
}

async function main(): Promise<void> {
  const pair = await rawPair(await loadPlatform(config.binding));
  const { ca, cb } = pair;
  const rtt = await pingPong(ca, cb, config.calls);
  const bulkMs = await bulk(ca, cb, config.bytes, CHUNK_BYTES);
  const largeMs = await bulk(ca, cb, config.bytes, LARGE_CHUNK_BYTES);
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
