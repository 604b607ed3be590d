/**
 * The floor under the many-workers row (docs/performance.md, "Many workers"):
 * the same topology as the bench's 500-worker run (one master process, worker
 * connections hosted 100 per process) on bare data channels, with nothing of
 * peerproc on them. Each worker connection asks for a batch of tasks
 * (8 bytes), gets them as float64s, asks for the next batch at once (as
 * peerproc's read-ahead does) and sends its batch's `n * n = n²` lines back in
 * one message. The master hands out N tasks first come, first served, and the
 * clock runs from the go to the last result line.
 *
 * `rounds` sets how many batches each connection takes (N / connections /
 * rounds tasks each): 1 is the fewest messages the run can have; the
 * bench's peerproc run measured about 12 batch answers per worker at 500.
 * Before the go it also reports each process's CPU over an idle second with
 * every connection open: what holding them costs with no work at all.
 *
 *   bash scripts/netns.sh node dist/bench/experiments/many-floor.js [--connections 500] [--per-process 100] [--rounds 1,12] [--tasks 100000]
 *
 * `--per-process 1` gives every connection its own process: the seed workload's layout, the floor under
 * the W = 1, 2, 4 rows.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadPlatform } from 'peerproc';
import { runExperiment } from '../lib/experiment.js';
import { intList, positiveInt } from '../lib/options.js';
import { cpuSeconds } from '../lib/proc-cpu.js';
import type { RawChannel, RawPeer } from '../lib/raw-pair.js';

/** Worker connections per host process, as the bench's many-workers section hosts them (`--per-process`). */
const CONNECTIONS_PER_PROCESS = 100;
/** Connections a host sets up at once (the bench's stage). */
const STAGE = 20;
const RUNS = 3;
const IDLE_MS = 1_000;

type Platform = Awaited<ReturnType<typeof loadPlatform>>;

/** Signaling relayed by the parent over IPC: worker connection `id` of host `host`. */
interface Signal {
  kind: 'signal';
  host: number;
  id: number;
  description?: { type: string; sdp: string };
  candidate?: unknown;
}
type ToParent =
  | Signal
  | { kind: 'ready' }
  | { kind: 'armed' }
  | { kind: 'done'; ms: number; lines: number }
  | { kind: 'finished' };
type ToChild = Signal | { kind: 'go'; tasks: number; batch: number };

function send(message: ToParent): void {
  // The callback keeps a send that races the parent's exit from throwing (EPIPE).
  if (process.connected) process.send?.(message, undefined, undefined, () => {});
}

/** Wires one peer connection's candidates and channel to the relay; returns the channel. */
function wire(pc: RawPeer, relay: (s: Omit<Signal, 'kind' | 'host' | 'id'>) => void): RawChannel {
  pc.onicecandidate = (event: { candidate: unknown }) => {
    const c = event.candidate as { toJSON?: () => unknown } | null;
    if (c) relay({ candidate: c.toJSON ? c.toJSON() : c });
  };
  const channel = pc.createDataChannel('floor', { negotiated: true, id: 0 });
  channel.binaryType = 'arraybuffer';
  return channel;
}

/**
 * One connection's remote side: its description, then its candidates, held
 * until both descriptions are set (libdatachannel refuses a candidate between
 * an answerer's setRemoteDescription and its answer, as peer-link.ts notes).
 */
class Remote {
  #accepting = false;
  readonly #held: unknown[] = [];
  #chain: Promise<void> = Promise.resolve();
  constructor(
    readonly pc: RawPeer,
    /** The answerer makes its answer as soon as the offer is set. */
    private readonly offerer: boolean,
  ) {}
  /** Signals are applied one at a time, in the order they came. */
  apply(signal: Signal): Promise<void> {
    this.#chain = this.#chain.then(() => this.#apply(signal));
    return this.#chain;
  }
  async #apply(signal: Signal): Promise<void> {
    if (signal.description) {
      await this.pc.setRemoteDescription(signal.description as never);
      if (!this.offerer) {
        const answer = await this.pc.createAnswer();
        await this.pc.setLocalDescription(answer);
      }
      this.#accepting = true;
      for (const c of this.#held.splice(0)) await this.pc.addIceCandidate(c as never).catch(() => {});
    }
    if (signal.candidate) {
      if (this.#accepting) await this.pc.addIceCandidate(signal.candidate as never).catch(() => {});
      else this.#held.push(signal.candidate);
    }
  }
}

async function master(platform: Platform): Promise<void> {
  const remotes = new Map<string, Remote>();
  const early = new Map<string, Signal[]>();
  let left = 0;
  let batch = 1;
  let lines = 0;
  let goal = 0;
  let started = 0;
  const decoder = new TextDecoder();
  const onMessage = (channel: RawChannel) => (event: { data: unknown }) => {
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    if (bytes.byteLength === 8) {
      // A request: answer with up to a batch of tasks.
      const count = Math.min(batch, left);
      left -= count;
      const tasks = new Float64Array(count);
      for (let i = 0; i < count; i++) tasks[i] = (i * 7919) % 100_000;
      channel.send(new Uint8Array(tasks.buffer));
      return;
    }
    const text = decoder.decode(bytes);
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
    if (lines === goal) send({ kind: 'done', ms: performance.now() - started, lines });
  };
  process.on('message', (raw) => {
    const message = raw as ToChild;
    if (message.kind === 'go') {
      left = message.tasks;
      goal = message.tasks;
      batch = message.batch;
      lines = 0;
      started = performance.now();
      send({ kind: 'armed' });
      return;
    }
    const key = `${message.host}/${message.id}`;
    const remote = remotes.get(key);
    if (!remote && !message.description) {
      // A candidate ahead of its offer: kept until the offer makes the connection (creating it earlier would let
      // the binding start negotiating on its own).
      early.set(key, [...(early.get(key) ?? []), message]);
      return;
    }
    if (!remote) {
      const pc = new platform.RTCPeerConnection({ iceServers: [] });
      const channel = wire(pc, (s) => send({ kind: 'signal', host: message.host, id: message.id, ...s }));
      channel.onmessage = onMessage(channel);
      const created = new Remote(pc, false);
      remotes.set(key, created);
      void created.apply(message).then(() => {
        const answer = pc.localDescription as { type: string; sdp: string };
        send({
          kind: 'signal',
          host: message.host,
          id: message.id,
          description: { type: answer.type, sdp: answer.sdp },
        });
      });
      for (const held of early.get(key) ?? []) void created.apply(held);
      early.delete(key);
      return;
    }
    void remote.apply(message);
  });
}

async function host(platform: Platform, hostIndex: number, connections: number): Promise<void> {
  const remotes: Remote[] = [];
  const channels: RawChannel[] = [];
  const encoder = new TextEncoder();
  const request = new Uint8Array(8);
  let finished = 0;
  const connectOne = async (id: number): Promise<void> => {
    const pc = new platform.RTCPeerConnection({ iceServers: [] });
    const channel = wire(pc, (s) => send({ kind: 'signal', host: hostIndex, id, ...s }));
    const opened = new Promise<void>((resolve) => (channel.onopen = () => resolve()));
    channel.onmessage = (event: { data: unknown }) => {
      const tasks = new Float64Array(event.data as ArrayBuffer);
      if (tasks.length === 0) {
        if (++finished === connections) send({ kind: 'finished' });
        return;
      }
      channel.send(request);
      let out = '';
      for (const n of tasks) out += `${n} * ${n} = ${n * n}\n`;
      channel.send(encoder.encode(out));
    };
    channels[id] = channel;
    remotes[id] = new Remote(pc, true);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    send({ kind: 'signal', host: hostIndex, id, description: { type: offer.type, sdp: offer.sdp ?? '' } });
    await opened;
  };
  process.on('message', (raw) => {
    const message = raw as ToChild;
    if (message.kind === 'go') {
      finished = 0;
      for (const channel of channels) channel.send(request);
      return;
    }
    void remotes[message.id]?.apply(message);
  });
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < connections) await connectOne(next++);
  };
  await Promise.all(Array.from({ length: Math.min(STAGE, connections) }, lane));
  send({ kind: 'ready' });
}

/** The parent: starts the processes, relays their signaling, runs and reports. */
async function parent(): Promise<void> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string' },
      'per-process': { type: 'string' },
      rounds: { type: 'string' },
      tasks: { type: 'string' },
    },
  });
  const connections = positiveInt('connections', values.connections, 500);
  // 1 is the seed workload's layout: each worker its own process (the bench's W = 1, 2, 4 rows).
  const perProcess = positiveInt('per-process', values['per-process'], CONNECTIONS_PER_PROCESS);
  const roundsList = intList('rounds', values.rounds, [1, 12]);
  const tasks = positiveInt('tasks', values.tasks, 100_000);
  const self = fileURLToPath(import.meta.url);
  const masterChild = fork(self, ['master'], { stdio: 'inherit' });
  const hosts: ChildProcess[] = [];
  const waiters = new Set<(from: ChildProcess, message: ToParent) => void>();
  const listen = (child: ChildProcess) =>
    child.on('message', (raw) => {
      const message = raw as ToParent;
      if (message.kind === 'signal') {
        (child === masterChild ? hosts[message.host] : masterChild)?.send(message);
        return;
      }
      for (const waiter of waiters) waiter(child, message);
    });
  // A child that dies (a binding error, say) fails the run instead of leaving it waiting.
  let childDied: (err: Error) => void = () => {};
  const died = new Promise<never>((_, reject) => {
    childDied = reject;
  });
  died.catch(() => {});
  const watch = (child: ChildProcess, label: string) =>
    child.on('exit', (code, signal) => childDied(new Error(`${label} exited (${signal ?? `code ${code}`})`)));
  const collect = (kind: ToParent['kind'], count: number): Promise<ToParent[]> =>
    new Promise<ToParent[]>((resolve, reject) => {
      died.catch(reject);
      const got: ToParent[] = [];
      const waiter = (_from: ChildProcess, message: ToParent) => {
        if (message.kind !== kind) return;
        got.push(message);
        if (got.length === count) {
          waiters.delete(waiter);
          resolve(got);
        }
      };
      waiters.add(waiter);
    });
  listen(masterChild);
  watch(masterChild, 'the master');
  try {
    const processes = Math.ceil(connections / perProcess);
    const ready = collect('ready', processes);
    for (let h = 0; h < processes; h++) {
      const count = Math.min(perProcess, connections - h * perProcess);
      const child = fork(self, ['host', String(h), String(count)], { stdio: 'inherit' });
      hosts.push(child);
      listen(child);
      watch(child, `host ${h + 1}`);
    }
    const setupStarted = performance.now();
    await ready;
    process.stdout.write(
      `${connections} bare connections in ${processes} processes: set up in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s\n`,
    );
    const everyone = [masterChild, ...hosts];
    const before = everyone.map((c) => cpuSeconds(c.pid as number));
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idle = everyone.map((c, i) => ((cpuSeconds(c.pid as number) - (before[i] as number)) * 1000) / IDLE_MS);
    process.stdout.write(
      `  idle CPU with all open: master ${(100 * (idle[0] as number)).toFixed(0)} %, hosts ${idle
        .slice(1)
        .map((x) => `${(100 * x).toFixed(0)} %`)
        .join(', ')}\n`,
    );
    for (const rounds of roundsList) {
      const batch = Math.ceil(tasks / connections / rounds);
      const rates: string[] = [];
      for (let r = 0; r < RUNS; r++) {
        const done = collect('done', 1);
        const finished = collect('finished', processes);
        const go: ToChild = { kind: 'go', tasks, batch };
        // The hosts start asking only once the master has the tasks (IPC and the channels race otherwise).
        const armed = collect('armed', 1);
        masterChild.send(go);
        await armed;
        for (const h of hosts) h.send(go);
        const [report] = (await done) as Extract<ToParent, { kind: 'done' }>[];
        await finished;
        rates.push(`${Math.round(tasks / ((report?.ms ?? Number.NaN) / 1000))}`);
      }
      process.stdout.write(`  ${rounds} batch(es) per connection of ${batch} tasks: ${rates.join(' / ')} tasks/s\n`);
    }
  } finally {
    for (const child of [masterChild, ...hosts]) {
      child.removeAllListeners('exit');
      child.kill();
    }
  }
}

const role = process.argv[2];
// A child whose parent went away (the run is over) exits instead of writing to a closed channel.
if (role === 'master') {
  process.on('disconnect', () => process.exit(0));
  void loadPlatform('node-datachannel').then(master);
} else if (role === 'host') {
  process.on('disconnect', () => process.exit(0));
  void loadPlatform('node-datachannel').then((platform) =>
    host(platform, Number(process.argv[3]), Number(process.argv[4])),
  );
} else {
  runExperiment('many-floor', parent);
}
