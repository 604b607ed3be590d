/**
 * Online guessing against a running master over real WebRTC: 200 rapid
 * wrong-key handshakes from fresh signaling peers. The room's limits
 * (ROOM_GUESS_LIMITS) let the first burst through and then one attempt per
 * interval; the rest are never answered; the log stays at two lines; and a
 * worker that proved the key completes its run throughout. A peer that keeps
 * its signaling id is refused after its own few failures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseManager, type Logger, Queue } from '../../node/index.js';
import { defaultPlatform } from '../../node/platform.js';
import { ROOM_GUESS_LIMITS } from '../../shared/manager/guess-limiter.js';
import { randomPeerId } from '../../shared/manager/options.js';
import { SignalingClient } from '../../shared/signaling/client.js';
import { PeerLink, parseLinkSignal } from '../../shared/webrtc/peer-link.js';
import { authkeyBytes, Handshake } from '../../shared/wire/auth.js';
import type { SignalingServer } from '../../signaling/index.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';

interface Jobs {
  get_task_queue: Queue<number>;
  get_result_queue: Queue<string>;
}

const KEY = 'a-strong-key-for-the-guessing-test';
const ATTEMPTS = 200;
/** Attempts in flight at once ("rapid"). */
const WAVE = 20;

let signaling: SignalingServer;
beforeAll(async () => {
  // Every attacker comes from 127.0.0.1: raise the signaling server's per-address limits,
  // so that what throttles the guesses here is the master itself.
  signaling = await startTestSignaling({
    maxConnectionsPerIp: 2_000,
    ipConnectionsPerSecond: 1_000,
    ipConnectionBurst: 1_000,
  });
});
afterAll(async () => {
  await signaling.close();
});

async function startMaster(address: string) {
  const lines: string[] = [];
  const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  const tasks = new Queue<number>();
  const results = new Queue<string>();
  const master = new BaseManager<Jobs>({ address, authkey: KEY, logger, handshakeTimeout: 5 });
  master.register('get_task_queue', () => tasks);
  master.register('get_result_queue', () => results);
  const decisions = new Map<string, (admitted: boolean) => void>();
  const failures = { count: 0 };
  master.on((event) => {
    if (event.type === 'auth-failed') failures.count++;
    if (event.type === 'worker-connecting') decisions.get(event.peer)?.(true);
    if (event.type === 'worker-refused') decisions.get(event.peer)?.(false);
  });
  await master.start();
  return { master, tasks, results, lines, decisions, failures };
}

type Outcome = 'refused' | 'failed' | 'accepted' | 'no-link';

/**
 * One guess: register as a worker under `id`, learn from the master's events
 * whether it answers us, and if it does, run the handshake with a wrong key.
 */
async function guess(
  address: string,
  decisions: Map<string, (admitted: boolean) => void>,
  id = randomPeerId(),
): Promise<Outcome> {
  const admitted = new Promise<boolean>((resolve) => decisions.set(id, resolve));
  let link: PeerLink | undefined;
  let masterId = '';
  const client = new SignalingClient({
    platform: defaultPlatform(),
    url: address,
    role: 'worker',
    id,
    onMessage: (m) => {
      if (m.type === 'master') masterId = m.peer;
      if (m.type === 'signal' && link) void link.handleSignal(parseLinkSignal(m.data));
    },
    onDisconnect: () => {},
  });
  try {
    await client.connect();
    if (!(await admitted)) return 'refused';
    const result = await new Promise<Outcome>((resolve) => {
      const peer = new PeerLink({
        platform: defaultPlatform(),
        offerer: true,
        iceServers: [],
        connectTimeoutMs: 10_000,
        sendSignal: (data) => client.send({ type: 'signal', to: masterId, data }),
      });
      link = peer;
      let handshake: Handshake | undefined;
      peer.start({
        onOpen: () => {
          const { local, remote } = peer.fingerprints();
          handshake = new Handshake('worker', authkeyBytes(`guess-${id}`), { master: remote, worker: local }, (f) =>
            peer.send(f),
          );
          handshake.start();
        },
        onFrame: (frame) => {
          try {
            if (handshake?.receive(frame)) resolve('accepted');
          } catch {
            resolve('failed');
          }
        },
        onClose: () => resolve(handshake ? 'failed' : 'no-link'),
      });
    });
    link?.close();
    return result;
  } finally {
    decisions.delete(id);
    client.close();
  }
}

/** A guess whose peer connection opened (node-datachannel rarely fails a setup; such a try is no guess). */
async function linkedGuess(
  address: string,
  decisions: Map<string, (admitted: boolean) => void>,
  id = randomPeerId(),
): Promise<Outcome> {
  let outcome: Outcome = 'no-link';
  for (let attempt = 0; attempt < 3 && outcome === 'no-link'; attempt++) outcome = await guess(address, decisions, id);
  return outcome;
}

/** The proven worker: connected before the attack, it takes and answers tasks all through it. */
async function provenWorker(address: string, count: number): Promise<number> {
  const worker = new BaseManager<Jobs>({ address, authkey: KEY, logger: { info() {}, warn() {}, error() {} } });
  worker.register('get_task_queue');
  worker.register('get_result_queue');
  await worker.connect();
  const task = await worker.get_task_queue();
  const result = await worker.get_result_queue();
  let done = 0;
  for (; done < count; done++) {
    const n = await task.get({ timeout: 30 });
    await new Promise((r) => setTimeout(r, 10)); // some work, so the run spans the attack
    await result.put(`${n} * ${n} = ${n * n}`);
  }
  await worker.shutdown();
  return done;
}

const authLines = (lines: string[]) => lines.filter((l) => /authentication|refused/.test(l));

describe('online guessing against a running master', () => {
  it('throttles 200 rapid wrong-key handshakes with a short log while a proven worker completes a run', async () => {
    const address = signaling.wsUrl(freshRoom('guess'));
    const { master, tasks, results, lines, decisions } = await startMaster(address);
    const count = 400;
    for (let n = 0; n < count; n++) await tasks.put(n);
    const run = provenWorker(address, count);
    await new Promise((r) => setTimeout(r, 500)); // it is connected and working

    const started = performance.now();
    const outcomes: Outcome[] = [];
    for (let i = 0; i < ATTEMPTS; i += WAVE) {
      outcomes.push(...(await Promise.all(Array.from({ length: WAVE }, () => guess(address, decisions)))));
    }
    const seconds = (performance.now() - started) / 1000;

    const admitted = outcomes.filter((o) => o !== 'refused');
    console.log(`guessing: ${admitted.length} of ${ATTEMPTS} attempts got a handshake, in ${seconds.toFixed(1)} s`);
    expect(outcomes.filter((o) => o === 'accepted')).toEqual([]);
    // The burst, then one per interval (concurrent attempts can overdraw by what was in flight).
    expect(admitted.length).toBeGreaterThanOrEqual(ROOM_GUESS_LIMITS.burst);
    expect(admitted.length).toBeLessThanOrEqual(
      ROOM_GUESS_LIMITS.burst + WAVE + Math.ceil((seconds * 1000) / ROOM_GUESS_LIMITS.intervalMs),
    );
    expect(outcomes.filter((o) => o === 'refused').length).toBe(ATTEMPTS - admitted.length);
    expect(admitted.length).toBeLessThan(ATTEMPTS / 2);

    // The proven worker finished its whole run; every result is there.
    expect(await run).toBe(count);
    const got = new Set<string>();
    for (let i = 0; i < count; i++) got.add(await results.get({ timeout: 10 }));
    expect(got.size).toBe(count);

    await master.shutdown();
    // Two lines for the whole burst: its first failure, and the summary once it is over.
    const auth = authLines(lines);
    expect(auth, lines.join('\n')).toHaveLength(2);
    // (the first is a refusal when a wave outruns the 16 handshakes allowed in flight before any has failed)
    expect(auth[0]).toMatch(/^worker \w+ (failed authentication|refused: \d+ unproven handshakes already in flight)/);
    expect(auth[1]).toMatch(
      new RegExp(
        `authentication on room guess-\\S+: \\d+ failed and ${ATTEMPTS - admitted.length} refused .*burst over`,
      ),
    );
  });

  it('refuses a signaling peer after its own failed handshakes', async () => {
    const address = signaling.wsUrl(freshRoom('guess-peer'));
    const { master, lines, decisions, failures } = await startMaster(address);
    const id = randomPeerId();
    const outcomes: Outcome[] = [];
    for (let i = 0; i < ROOM_GUESS_LIMITS.perPeer; i++) {
      outcomes.push(await linkedGuess(address, decisions, id));
      // The master counts a failure once the peer has hung up (or after its refusal linger).
      for (let t = 0; t < 100 && failures.count <= i; t++) await new Promise((r) => setTimeout(r, 50));
    }
    outcomes.push(await linkedGuess(address, decisions, id));
    expect(outcomes).toEqual([...Array(ROOM_GUESS_LIMITS.perPeer).fill('failed'), 'refused']);
    // A fresh peer is still let in: the room's own budget is far from spent.
    expect(await linkedGuess(address, decisions)).toBe('failed');
    for (let t = 0; t < 100 && failures.count <= ROOM_GUESS_LIMITS.perPeer; t++)
      await new Promise((r) => setTimeout(r, 50));
    await master.shutdown();
    expect(authLines(lines).at(-1)).toMatch(/failed and 1 refused/);
  });
});
