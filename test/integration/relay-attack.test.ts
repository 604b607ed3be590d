/**
 * A malicious signaling server that puts itself in the middle: it answers the
 * worker as if it were the master and dials the master as if it were a
 * worker, then relays every data-channel frame between the two legs. The
 * CPace handshake's channel identifier holds both peers' DTLS fingerprints,
 * which differ on each leg, so the two ends derive different keys, the
 * relayed key confirmations fail, and nothing else ever crosses.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { AuthenticationError, BaseManager, type Logger, Queue } from '../../node/index.js';
import { defaultPlatform } from '../../node/platform.js';
import { PeerLink, parseLinkSignal } from '../../shared/webrtc/peer-link.js';

type Send = (message: object) => void;

function startRelayingAttacker() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const relayed = { toWorker: 0, toMaster: 0 };
  let masterSend: Send | undefined;
  let workerSend: Send | undefined;
  const legs: { toMaster?: PeerLink; toWorker?: PeerLink } = {};
  const pending: { toMaster: Uint8Array[]; toWorker: Uint8Array[] } = { toMaster: [], toWorker: [] };
  const open = { toMaster: false, toWorker: false };

  const relay = (from: 'toMaster' | 'toWorker', frame: Uint8Array) => {
    const to = from === 'toMaster' ? 'toWorker' : 'toMaster';
    if (to === 'toWorker') relayed.toWorker++;
    else relayed.toMaster++;
    if (open[to]) legs[to]?.send(frame.slice());
    else pending[to].push(frame.slice());
  };
  const startLeg = (name: 'toMaster' | 'toWorker', link: PeerLink) => {
    legs[name] = link;
    link.start({
      onOpen: () => {
        open[name] = true;
        for (const f of pending[name].splice(0)) link.send(f);
      },
      onFrame: (frame) => relay(name, frame),
      onClose: () => {},
    });
  };
  let attempt = 0;
  const pair = () => {
    if (!masterSend || !workerSend) return;
    const toMaster = masterSend;
    const toWorker = workerSend;
    // Each worker registration (a retry included) gets a fresh pair of legs.
    legs.toMaster?.close();
    legs.toWorker?.close();
    open.toMaster = open.toWorker = false;
    pending.toMaster = [];
    pending.toWorker = [];
    attempt++;
    const fakeWorker = `fake-worker-${String(attempt).padStart(4, '0')}`;
    // Leg 1: we are a worker to the real master (announced first, so it accepts our offer).
    toMaster({ type: 'peer', peer: fakeWorker });
    startLeg(
      'toMaster',
      new PeerLink({
        platform: defaultPlatform(),
        offerer: true,
        iceServers: [],
        sendSignal: (data) => toMaster({ type: 'signal', from: fakeWorker, data }),
      }),
    );
    // Leg 2: we are the master to the real worker.
    startLeg(
      'toWorker',
      new PeerLink({
        platform: defaultPlatform(),
        offerer: false,
        iceServers: [],
        sendSignal: (data) => toWorker({ type: 'signal', from: 'fake-master-0001', data }),
      }),
    );
    toWorker({ type: 'master', peer: 'fake-master-0001' });
  };

  server.on('connection', (socket) => {
    const send: Send = (m) => socket.send(JSON.stringify(m));
    socket.on('message', (raw) => {
      const m = JSON.parse(String(raw));
      if (m.type === 'register') {
        send({ type: 'registered', id: m.id, role: m.role, room: 'jobs', iceServers: [] });
        if (m.role === 'master') masterSend = send;
        else workerSend = send;
        pair();
      } else if (m.type === 'signal') {
        const leg = m.to.startsWith('fake-worker') ? legs.toMaster : legs.toWorker;
        void leg?.handleSignal(parseLinkSignal(m.data));
      }
    });
  });
  return {
    relayed,
    address: () => `ws://127.0.0.1:${(server.address() as AddressInfo).port}/jobs`,
    close: () => {
      legs.toMaster?.close();
      legs.toWorker?.close();
      server.close();
    },
  };
}

let attacker: ReturnType<typeof startRelayingAttacker> | undefined;
afterAll(() => attacker?.close());

it('defeats a signaling server that relays the handshake through its own peers', async () => {
  attacker = startRelayingAttacker();
  await new Promise((r) => setTimeout(r, 50));
  const lines: string[] = [];
  const logger: Logger = { info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) };
  const tasks = new Queue<number>();
  tasks.putNowait(42);
  const master = new BaseManager<{ tasks: Queue<number> }>({ address: attacker.address(), authkey: 'abc', logger });
  master.register('tasks', () => tasks);
  await master.start();

  const worker = new BaseManager<{ tasks: Queue<number> }>({
    address: attacker.address(),
    authkey: 'abc',
    logger,
    wait: 30,
  });
  worker.register('tasks');
  await expect(worker.connect()).rejects.toBeInstanceOf(AuthenticationError);

  // The relay worked (frames went both ways), yet nothing got through.
  expect(attacker.relayed.toWorker).toBeGreaterThanOrEqual(1);
  expect(attacker.relayed.toMaster).toBeGreaterThanOrEqual(1);
  // The master drops the attacker's leg once it hangs up, or after its refusal linger.
  for (let i = 0; i < 100 && !lines.some((l) => l.includes('failed authentication')); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(lines.join('\n')).toMatch(/failed authentication: digest received was wrong/);
  expect(tasks.qsize()).toBe(1);
  await master.shutdown();
});
