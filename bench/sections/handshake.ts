/**
 * What authentication adds to every peer connection: the handshake alone,
 * from the data channel opening to both sides authenticated (CPace plus key
 * confirmation: 1.5 round trips, a hash-to-group and two scalar
 * multiplications per side), over many fresh node-datachannel connections
 * made in this process. Median and p99; the WebRTC setup before it is not
 * counted (the start-up section has the whole connect()).
 *
 * The measurement uses only the Handshake class's constructor/start/receive,
 * which the first (HMAC) version had too, so the same code times both.
 */
import { defaultPlatform } from '../../node/platform.js';
import { PeerLink, parseLinkSignal } from '../../shared/webrtc/peer-link.js';
import { authkeyBytes, Handshake } from '../../shared/wire/auth.js';
import type { Context } from '../lib/context.js';
import { cellOf, type Row, row } from '../lib/report.js';
import { latency } from '../lib/stats.js';

export interface HandshakeResult {
  setups: number;
  /** Channel open → both sides authenticated, ms, one per setup. */
  samplesMs: number[];
  p50Ms: number;
  p99Ms: number;
}

/** One fresh connection between two in-process peers; resolves with the handshake's duration in ms. */
export function timeOneHandshake(authkey: string): Promise<number> {
  const key = authkeyBytes(authkey);
  return new Promise<number>((resolve, reject) => {
    const links: { worker?: PeerLink; master?: PeerLink } = {};
    const make = (role: 'worker' | 'master') =>
      new PeerLink({
        platform: defaultPlatform(),
        offerer: role === 'worker',
        iceServers: [],
        connectTimeoutMs: 10_000,
        sendSignal: (data) => {
          const to = role === 'worker' ? links.master : links.worker;
          void to?.handleSignal(parseLinkSignal(JSON.parse(JSON.stringify(data))));
        },
      });
    links.worker = make('worker');
    links.master = make('master');
    let startedAt: number | undefined;
    let done = 0;
    const finish = (error?: Error) => {
      links.worker?.close();
      links.master?.close();
      if (error) reject(error);
    };
    for (const role of ['worker', 'master'] as const) {
      const link = links[role] as PeerLink;
      let handshake: Handshake | undefined;
      link.start({
        onOpen: () => {
          startedAt ??= performance.now();
          const { local, remote } = link.fingerprints();
          const binding = role === 'master' ? { master: local, worker: remote } : { master: remote, worker: local };
          handshake = new Handshake(role, key, binding, (frame) => link.send(frame));
          handshake.start();
        },
        onFrame: (frame) => {
          try {
            if (handshake?.receive(frame) && ++done === 2) {
              const ms = performance.now() - (startedAt as number);
              finish();
              resolve(ms);
            }
          } catch (err) {
            finish(err as Error);
          }
        },
        onClose: (reason) => {
          if (done < 2) finish(reason ?? new Error('the connection closed before both sides authenticated'));
        },
      });
    }
  });
}

export async function runHandshake(ctx: Context): Promise<HandshakeResult> {
  const setups = ctx.options.handshakeSetups;
  const samplesMs: number[] = [];
  // One warm-up connection: the first loads the add-on's code paths and the curve's tables.
  await timeOneHandshake(ctx.authkey);
  for (let i = 0; i < setups; i++) {
    const ms = await ctx.attempt(`handshake #${i + 1}`, () => timeOneHandshake(ctx.authkey));
    if (ms !== undefined) samplesMs.push(ms);
  }
  const { p50, p99 } = latency(samplesMs);
  ctx.progress(`  handshake over ${samplesMs.length} setups: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
  return { setups, samplesMs, p50Ms: p50, p99Ms: p99 };
}

export function handshakeRows(result: HandshakeResult | undefined): Row[] {
  const missing = result ? 'failed' : 'not run';
  const cell = (value: number | undefined) =>
    cellOf(
      value === undefined || !Number.isFinite(value)
        ? undefined
        : { median: value, min: value, max: value, values: [value] },
      missing,
    );
  const n = result?.samplesMs.length ?? 0;
  return [
    row({
      id: 'handshake_p50_ms',
      measure: `authentication handshake (channel open → both authenticated), p50 of ${n} setups`,
      unit: 'ms',
      peerproc: cell(result?.p50Ms),
    }),
    row({
      id: 'handshake_p99_ms',
      measure: `authentication handshake, p99 of ${n} setups`,
      unit: 'ms',
      peerproc: cell(result?.p99Ms),
    }),
  ];
}
