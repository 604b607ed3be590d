/**
 * A bare WebRTC pair in this process, for the bench's floor and the
 * experiments: two peer connections, one pre-negotiated channel,
 * descriptions as created and candidates handed over once their receiver has
 * the remote description; and a bulk transfer over it.
 */
import type { loadPlatform } from 'peerproc';

type Platform = Awaited<ReturnType<typeof loadPlatform>>;
export type RawPeer = InstanceType<Platform['RTCPeerConnection']>;
export type RawChannel = ReturnType<RawPeer['createDataChannel']>;

export interface RawPair {
  a: RawPeer;
  b: RawPeer;
  /** a's end and b's end of the channel. */
  ca: RawChannel;
  cb: RawChannel;
  close(): void;
}

export async function rawPair(platform: Platform): Promise<RawPair> {
  const a = new platform.RTCPeerConnection({ iceServers: [] });
  const b = new platform.RTCPeerConnection({ iceServers: [] });
  const held = new Map<RawPeer, unknown[]>([
    [a, []],
    [b, []],
  ]);
  const described = new Set<RawPeer>();
  const relay = (to: RawPeer) => (event: { candidate: unknown }) => {
    const c = event.candidate as { toJSON?: () => unknown } | null;
    if (!c) return;
    const candidate = c.toJSON ? c.toJSON() : c;
    if (described.has(to)) void to.addIceCandidate(candidate as never).catch(() => {});
    else held.get(to)?.push(candidate);
  };
  const remoteSet = (pc: RawPeer) => {
    described.add(pc);
    for (const candidate of held.get(pc)?.splice(0) ?? []) void pc.addIceCandidate(candidate as never).catch(() => {});
  };
  a.onicecandidate = relay(b);
  b.onicecandidate = relay(a);
  const ca = a.createDataChannel('raw', { negotiated: true, id: 0 });
  const cb = b.createDataChannel('raw', { negotiated: true, id: 0 });
  ca.binaryType = 'arraybuffer';
  cb.binaryType = 'arraybuffer';
  const opened = Promise.all([ca, cb].map((ch) => new Promise<void>((resolve) => (ch.onopen = () => resolve()))));
  const offer = await a.createOffer();
  await a.setLocalDescription(offer);
  await b.setRemoteDescription(offer);
  remoteSet(b);
  const answer = await b.createAnswer();
  await b.setLocalDescription(answer);
  await a.setRemoteDescription(answer);
  remoteSet(a);
  await opened;
  return {
    a,
    b,
    ca,
    cb,
    close: () => {
      a.close();
      b.close();
    },
  };
}

/** Bytes allowed in the channel's send buffer before waiting (as peerproc's link does). */
const HIGH_WATER_BYTES = 1024 * 1024;

function byteLength(data: unknown): number {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return typeof data === 'string' ? data.length : 0;
}

/** Milliseconds to move `bytes` from `ca` to `cb` in `chunkBytes` messages, waiting while ca's buffer is full. */
export async function bulkTransfer(ca: RawChannel, cb: RawChannel, bytes: number, chunkBytes: number): Promise<number> {
  const chunk = new Uint8Array(chunkBytes).fill(7);
  let received = 0;
  const started = performance.now();
  const done = new Promise<void>((resolve) => {
    cb.onmessage = (event) => {
      received += byteLength(event.data);
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
