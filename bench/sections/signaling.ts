/**
 * The signaling server alone, with lightweight ws clients (no WebRTC): one
 * process with rooms in memory, and three nodes sharing rooms through one
 * redis-server, each as its own process (`node dist/signaling/main.js`).
 *
 * - Pairings per second: with every room's master registered, all workers
 *   connect and register at once; the time until every worker has its
 *   `master` and every master all its `peer`s, divided into the pairings.
 * - Relay latency: workers then send SDP-sized signals to their masters at a
 *   steady total rate (below saturation); each is timed from send to
 *   arrival (one clock: every client lives in this process).
 *
 * In the cluster, a room's master sits on one node and its workers are spread
 * over all three, so about two relays in three cross nodes through Redis.
 * Every process shares this machine's cores with the others and the clients.
 */
import { createServer } from 'node:net';
import { WebSocket } from 'ws';
import { type Service, startService } from '../lib/children.js';
import type { Context } from '../lib/context.js';
import { SIGNALING_MAIN } from '../lib/paths.js';
import { cellOf, type Row, row } from '../lib/report.js';
import { latency, summarize } from '../lib/stats.js';

/** A master and its workers per room. */
const PEERS_PER_ROOM = 10;
/** Total signals per second over all workers while latency is measured. */
const RELAY_RATE_PER_S = 2_000;
/** The pacing timer's period; each tick sends RELAY_RATE_PER_S / (1000 / TICK_MS) signals. */
const TICK_MS = 10;
/** About the size of an ICE candidate line plus some SDP: what signaling really carries. */
const PAYLOAD_CHARS = 400;
const START_TIMEOUT_MS = 15_000;
/** Every client connects from 127.0.0.1: the per-address limits are raised like the benchmark's own server's. */
const NODE_FLAGS = [
  '--max-connections-per-ip',
  '10000',
  '--ip-connections-per-second',
  '100000',
  '--ip-connection-burst',
  '10000',
  '--log-level',
  'warn',
];

export interface SignalingRun {
  nodes: number;
  peers: number;
  rooms: number;
  pairings: number;
  /** All workers connecting to all paired, ms. */
  pairingMs: number;
  pairingsPerS: number;
  relayed: number;
  /** Signals sent that never arrived (should be 0). */
  lost: number;
  relayMs: { p50: number; p99: number };
}

export interface SignalingResult {
  single: SignalingRun | null;
  cluster: SignalingRun | null;
}

/** A ws client that counts what it was told. */
class Peer {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  registered = false;
  master: string | undefined;
  id = '';
  readonly peers = new Set<string>();
  onSignal: (data: { t: number }) => void = () => {};
  error: string | undefined;

  constructor(url: string, role: 'master' | 'worker') {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => {
        this.ws.send(JSON.stringify({ type: 'register', role }));
        resolve();
      });
      this.ws.once('error', reject);
    });
    this.opened.catch(() => {});
    this.ws.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as Record<string, unknown>;
      switch (message.type) {
        case 'registered':
          this.registered = true;
          this.id = String(message.id);
          return;
        case 'master':
          this.master = String(message.peer);
          return;
        case 'peer':
          this.peers.add(String(message.peer));
          return;
        case 'signal':
          this.onSignal(message.data as { t: number });
          return;
        case 'error':
          this.error ??= `${String(message.code)}: ${String(message.message)}`;
          return;
      }
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

async function until(what: string, check: () => boolean, timeoutMs: number, failure: () => string | undefined) {
  const started = performance.now();
  while (!check()) {
    const problem = failure();
    if (problem) throw new Error(`${what}: ${problem}`);
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not done within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function startRedis(): Promise<{ service: Service; url: string }> {
  const port = await freePort();
  const service = await startService(
    'redis-server',
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    /Ready to accept connections/,
    START_TIMEOUT_MS,
  ).catch((err: Error) => {
    throw new Error(
      /ENOENT/.test(err.message)
        ? 'redis-server is not installed (scripts/install-system-deps.sh installs it: apt-get install redis-server)'
        : err.message,
    );
  });
  return { service, url: `redis://127.0.0.1:${port}` };
}

async function startNode(label: string, redis: string | undefined): Promise<{ service: Service; base: string }> {
  const args = [SIGNALING_MAIN, '--host', '127.0.0.1', '--port', '0', ...NODE_FLAGS];
  if (redis) args.push('--redis', redis);
  const service = await startService(label, process.execPath, args, /listening on ws:\/\//, START_TIMEOUT_MS);
  const base = /(ws:\/\/\S+)/.exec(service.readyLine)?.[1];
  if (!base) throw new Error(`${label} did not say where it listens: ${service.readyLine}`);
  return { service, base };
}

let runs = 0;

/** The clients of one measurement: a master per room and its workers. */
interface Crowd {
  readonly masters: Peer[];
  readonly workers: Peer[];
  /** The first error any client was sent, if one was. */
  readonly firstError: () => string | undefined;
}

/** Pairs `peers` clients in rooms of PEERS_PER_ROOM over `bases`, then times relays. */
async function measure(ctx: Context, bases: readonly string[]): Promise<SignalingRun> {
  const crowd: Crowd = {
    masters: [],
    workers: [],
    firstError: () => [...crowd.masters, ...crowd.workers].find((p) => p.error)?.error,
  };
  try {
    const pairingMs = await pairAll(ctx, bases, crowd);
    const pairings = crowd.workers.length;
    ctx.progress(
      `  ${bases.length} node(s): ${pairings} pairings in ${(pairingMs / 1000).toFixed(2)} s ` +
        `(${Math.round(pairings / (pairingMs / 1000))}/s)`,
    );
    const total = pairings * ctx.options.signalsPerWorker;
    const samples = await relayPaced(crowd, total);
    const { p50, p99 } = latency(samples);
    const result: SignalingRun = {
      nodes: bases.length,
      peers: crowd.masters.length + pairings,
      rooms: crowd.masters.length,
      pairings,
      pairingMs,
      pairingsPerS: pairings / (pairingMs / 1000),
      relayed: samples.length,
      lost: total - samples.length,
      relayMs: { p50, p99 },
    };
    ctx.progress(
      `  ${bases.length} node(s): ${samples.length} signals relayed, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms` +
        (result.lost ? `, ${result.lost} lost` : ''),
    );
    if (result.lost) ctx.failures.push(`signaling, ${bases.length} node(s): ${result.lost} of ${total} signals lost`);
    return result;
  } finally {
    for (const peer of [...crowd.masters, ...crowd.workers]) peer.close();
  }
}

/**
 * Registers every room's master, then connects all workers at once; resolves
 * with the ms from the first worker's connect to the last pairing.
 */
async function pairAll(ctx: Context, bases: readonly string[], crowd: Crowd): Promise<number> {
  const run = ++runs;
  const rooms = Math.max(1, Math.round(ctx.options.signalingPeers / PEERS_PER_ROOM));
  const workersPerRoom = PEERS_PER_ROOM - 1;
  const roomUrl = (node: number, room: number) =>
    `${bases[node % bases.length]}/bench-signal-${process.pid}-${run}-${room}`;
  for (let r = 0; r < rooms; r++) crowd.masters.push(new Peer(roomUrl(r, r), 'master'));
  await until('masters registered', () => crowd.masters.every((m) => m.registered), 30_000, crowd.firstError);

  const started = performance.now();
  for (let r = 0; r < rooms; r++) {
    // The room's workers spread over every node, starting with the one after its master's.
    for (let k = 0; k < workersPerRoom; k++) crowd.workers.push(new Peer(roomUrl(r + 1 + k, r), 'worker'));
  }
  await until(
    'every worker paired',
    () =>
      crowd.workers.every((w) => w.master !== undefined) && crowd.masters.every((m) => m.peers.size === workersPerRoom),
    60_000,
    crowd.firstError,
  );
  return performance.now() - started;
}

/**
 * Sends `total` signals from the workers (in turn) to their masters at
 * RELAY_RATE_PER_S; resolves with each arrival's latency in ms, once all have
 * arrived or 30 s have passed (the missing ones are the lost).
 */
async function relayPaced(crowd: Crowd, total: number): Promise<number[]> {
  const samples: number[] = [];
  for (const master of crowd.masters) master.onSignal = (data) => samples.push(performance.now() - data.t);
  const perTick = Math.max(1, Math.round((RELAY_RATE_PER_S * TICK_MS) / 1000));
  const pad = 'a'.repeat(PAYLOAD_CHARS);
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (let i = 0; i < perTick && sent < total; i++, sent++) {
        const worker = crowd.workers[sent % crowd.workers.length] as Peer;
        const to = worker.master as string;
        worker.ws.send(JSON.stringify({ type: 'signal', to, data: { t: performance.now(), pad } }));
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  await until('every signal relayed', () => samples.length >= total, 30_000, crowd.firstError).catch(() => {});
  return samples;
}

async function single(ctx: Context): Promise<SignalingRun> {
  const node = await startNode('signaling (one process)', undefined);
  try {
    return await measure(ctx, [node.base]);
  } finally {
    await node.service.stop();
  }
}

async function cluster(ctx: Context): Promise<SignalingRun> {
  const redis = await startRedis();
  const nodes: { service: Service; base: string }[] = [];
  try {
    for (let i = 0; i < 3; i++) nodes.push(await startNode(`signaling node ${i + 1}`, redis.url));
    return await measure(
      ctx,
      nodes.map((node) => node.base),
    );
  } finally {
    await Promise.all(nodes.map((node) => node.service.stop()));
    await redis.service.stop();
  }
}

export async function runSignaling(ctx: Context): Promise<SignalingResult> {
  return {
    single: (await ctx.attempt('signaling, one process', () => single(ctx))) ?? null,
    cluster: (await ctx.attempt('signaling, three nodes on one Redis', () => cluster(ctx))) ?? null,
  };
}

export function signalingRows(ctx: Context, result: SignalingResult | undefined): Row[] {
  const missing = result ? 'failed' : 'not run';
  const peers = ctx.options.signalingPeers.toLocaleString('en-US');
  const one = (value: number | undefined) => cellOf(summarize([value]), missing);
  const rows: Row[] = [];
  for (const [key, label, run] of [
    ['1', 'one process', result?.single],
    ['3', 'three nodes, one Redis', result?.cluster],
  ] as const) {
    rows.push(
      row({
        id: `signaling_pairings_per_s_${key}`,
        measure: `signaling, ${label}: pairings/s (${peers} peers)`,
        unit: 'pairings/s',
        peerproc: one(run?.pairingsPerS),
      }),
      row({
        id: `signaling_relay_p50_ms_${key}`,
        measure: `signaling, ${label}: relay latency p50`,
        unit: 'ms',
        peerproc: one(run?.relayMs.p50),
      }),
      row({
        id: `signaling_relay_p99_ms_${key}`,
        measure: `signaling, ${label}: relay latency p99`,
        unit: 'ms',
        peerproc: one(run?.relayMs.p99),
      }),
    );
  }
  return rows;
}
