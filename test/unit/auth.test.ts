import { describe, expect, it } from 'vitest';
import { AuthenticationError, ProtocolError } from '../../shared/errors.js';
import {
  authkeyBytes,
  type ChannelBinding,
  FRAME_BYTES,
  Handshake,
  PROTOCOL_VERSION,
  sdpFingerprint,
} from '../../shared/wire/auth.js';

const binding: ChannelBinding = { master: 'sha-256 AA:BB', worker: 'sha-256 CC:DD' };

interface Side {
  handshake: Handshake;
  outbox: Uint8Array[];
  sent: Uint8Array[];
  outcome?: unknown;
}

function side(role: 'master' | 'worker', key: string, b = binding): Side {
  const s: Side = { outbox: [], sent: [] } as unknown as Side;
  s.handshake = new Handshake(role, authkeyBytes(key), b, (f) => {
    s.outbox.push(f);
    s.sent.push(f);
  });
  return s;
}

function deliver(from: Side, to: Side): void {
  for (const f of from.outbox.splice(0)) {
    if (to.outcome !== undefined) return; // a side that finished (or failed) reads no more
    try {
      if (to.handshake.receive(f)) to.outcome = 'ok';
    } catch (err) {
      to.outcome = err;
    }
  }
}

/** Runs both sides against each other in memory, both starting at once as on a real channel. */
function run(masterKey: string, workerKey: string, workerBinding = binding) {
  const master = side('master', masterKey);
  const worker = side('worker', workerKey, workerBinding);
  master.handshake.start();
  worker.handshake.start();
  for (let round = 0; round < 4; round++) {
    deliver(master, worker);
    deliver(worker, master);
  }
  return { master, worker };
}

describe('Handshake (CPace)', () => {
  it('authenticates both sides with the same key', () => {
    const { master, worker } = run('abc', 'abc');
    expect([master.outcome, worker.outcome]).toEqual(['ok', 'ok']);
    expect(master.handshake.done && worker.handshake.done).toBe(true);
  });

  it('rejects a wrong key on both sides, the worker told its key was rejected', () => {
    const { master, worker } = run('abc', 'abd');
    expect(master.outcome).toBeInstanceOf(AuthenticationError);
    expect((master.outcome as Error).message).toMatch(/digest received was wrong/);
    expect(worker.outcome).toBeInstanceOf(AuthenticationError);
    expect((worker.outcome as Error).message).toMatch(/rejected: the master does not accept this authkey/);
    // The master's only answer to the failure is the one-byte FAILURE.
    expect(master.sent.at(-1)).toEqual(Uint8Array.of(0xa4));
  });

  it('fails when the two sides see different connections (a relaying man in the middle)', () => {
    const { master, worker } = run('abc', 'abc', { master: 'sha-256 EE:FF', worker: binding.worker });
    expect(master.outcome).toBeInstanceOf(AuthenticationError);
    expect(worker.outcome).toBeInstanceOf(AuthenticationError);
  });

  it('fails a peer that reflects the master its own frames', () => {
    const master = side('master', 'abc');
    master.handshake.start();
    for (let round = 0; round < 4 && master.outcome === undefined; round++) {
      for (const f of master.outbox.splice(0)) {
        try {
          if (master.handshake.receive(f)) master.outcome = 'ok';
        } catch (err) {
          master.outcome = err;
          break;
        }
      }
    }
    expect(master.outcome).toBeInstanceOf(AuthenticationError);
  });

  it('never puts the key on the wire and uses fixed-size messages', () => {
    const key = 'a-very-secret-authkey';
    const { master, worker } = run(key, key);
    const sizes = [FRAME_BYTES.nonce, FRAME_BYTES.share, FRAME_BYTES.confirm];
    expect(sizes).toEqual([34, 33, 65]);
    expect(master.sent.map((f) => f.length)).toEqual(sizes);
    expect(worker.sent.map((f) => f.length)).toEqual(sizes);
    const keyHex = Buffer.from(key).toString('hex');
    for (const f of [...master.sent, ...worker.sent]) expect(Buffer.from(f).toString('hex')).not.toContain(keyHex);
    // Wrong keys give the same sizes: the frames say nothing about why a handshake fails.
    const wrong = run(key, 'other');
    expect(wrong.worker.sent.map((f) => f.length)).toEqual(sizes);
    expect(wrong.master.sent.map((f) => f.length)).toEqual([...sizes, 1]);
  });

  it('uses a fresh nonce and a fresh share every time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const { master, worker } = run('k', 'k');
      for (const f of [...master.sent, ...worker.sent]) seen.add(Buffer.from(f).toString('hex'));
    }
    expect(seen.size).toBe(60);
  });

  it('refuses garbage instead of a nonce with nothing but FAILURE', () => {
    const master = side('master', 'k');
    master.handshake.start();
    expect(() => master.handshake.receive(new TextEncoder().encode('hello'))).toThrow(AuthenticationError);
    // Only the nonce and a one-byte failure: no text reaches an unauthenticated peer.
    expect(master.sent.map((f) => f.length)).toEqual([34, 1]);
    expect(master.handshake.guessSpent).toBe(false);
  });

  it('refuses an invalid key share (the neutral element) before confirming anything', () => {
    const master = side('master', 'k');
    const worker = side('worker', 'k');
    master.handshake.start();
    worker.handshake.start();
    deliver(worker, master); // the worker's nonce: the master answers with its share
    const identityShare = new Uint8Array(FRAME_BYTES.share);
    identityShare[0] = 0xa6;
    expect(() => master.handshake.receive(identityShare)).toThrow(/invalid key share/);
    expect(master.sent.map((f) => f.length)).toEqual([34, 33, 1]);
    expect(master.handshake.guessSpent).toBe(false);
  });

  it('counts a guess once the master confirmed to an unproven peer', () => {
    const master = side('master', 'abc');
    const worker = side('worker', 'abd');
    master.handshake.start();
    worker.handshake.start();
    deliver(worker, master);
    deliver(master, worker);
    deliver(worker, master); // the worker's share: the master sends its tag
    expect(master.handshake.guessSpent).toBe(true);
    expect(master.handshake.done).toBe(false);
  });

  it.each([1, 2])(
    'tells a version-%i peer apart by its version byte (1: HMAC; 2: CPace without packed arrays)',
    (version) => {
      const worker = side('worker', 'k');
      worker.handshake.start();
      const oldNonce = new Uint8Array(34);
      oldNonce[0] = 0xa1;
      oldNonce[1] = version;
      expect(() => worker.handshake.receive(oldNonce)).toThrow(ProtocolError);
      expect(() => side('worker', 'k').handshake.receive(oldNonce)).toThrow(
        `master speaks protocol version ${version}, this peer speaks ${PROTOCOL_VERSION}`,
      );
      const master = side('master', 'k');
      master.handshake.start();
      expect(() => master.handshake.receive(oldNonce)).toThrow(AuthenticationError);
      expect(master.sent.at(-1)).toEqual(Uint8Array.of(0xa4));
    },
  );

  it('reads and normalises SDP fingerprints', () => {
    const sdp = 'v=0\r\na=fingerprint:SHA-256 ab:cd:ef\r\na=setup:actpass\r\n';
    expect(sdpFingerprint(sdp)).toBe('sha-256 AB:CD:EF');
    expect(() => sdpFingerprint('v=0\r\n')).toThrow(ProtocolError);
  });

  it('refuses an empty authkey', () => {
    expect(() => authkeyBytes('')).toThrow(/authkey must not be empty/);
  });
});
