import { describe, expect, it } from 'vitest';
import { AuthenticationError, ProtocolError } from '../../shared/errors.js';
import { authkeyBytes, type ChannelBinding, Handshake, sdpFingerprint } from '../../shared/wire/auth.js';

const binding: ChannelBinding = { master: 'sha-256 AA:BB', worker: 'sha-256 CC:DD' };

/** Runs both sides against each other in memory; returns what each side ended with. */
function run(masterKey: string, workerKey: string, workerBinding = binding) {
  const toWorker: Uint8Array[] = [];
  const toMaster: Uint8Array[] = [];
  const master = new Handshake('master', authkeyBytes(masterKey), binding, (f) => toWorker.push(f));
  const worker = new Handshake('worker', authkeyBytes(workerKey), workerBinding, (f) => toMaster.push(f));
  const outcome: { master?: unknown; worker?: unknown } = {};
  master.start();
  for (let round = 0; round < 4; round++) {
    for (const f of toWorker.splice(0)) {
      try {
        if (worker.receive(f)) outcome.worker = 'ok';
      } catch (err) {
        outcome.worker = err;
      }
    }
    for (const f of toMaster.splice(0)) {
      try {
        if (master.receive(f)) outcome.master = 'ok';
      } catch (err) {
        outcome.master = err;
      }
    }
  }
  return { outcome, sizes: { master, worker } };
}

describe('Handshake', () => {
  it('authenticates both sides with the same key', () => {
    expect(run('abc', 'abc').outcome).toEqual({ master: 'ok', worker: 'ok' });
  });

  it('rejects a wrong key on both sides, the worker told its key was rejected', () => {
    const { outcome } = run('abc', 'abd');
    expect(outcome.master).toBeInstanceOf(AuthenticationError);
    expect(outcome.worker).toBeInstanceOf(AuthenticationError);
    expect((outcome.worker as Error).message).toMatch(/rejected/);
  });

  it('fails when the two sides see different connections (a relaying man in the middle)', () => {
    const { outcome } = run('abc', 'abc', { master: 'sha-256 EE:FF', worker: binding.worker });
    expect(outcome.master).toBeInstanceOf(AuthenticationError);
  });

  it('never puts the key on the wire and uses fixed-size messages', () => {
    const frames: Uint8Array[] = [];
    const key = 'a-very-secret-authkey';
    const master = new Handshake('master', authkeyBytes(key), binding, (f) => frames.push(f));
    const worker = new Handshake('worker', authkeyBytes(key), binding, (f) => frames.push(f));
    master.start();
    worker.receive(frames[0]);
    master.receive(frames[1]);
    expect(frames.map((f) => f.length)).toEqual([34, 65, 33]);
    const keyHex = Buffer.from(key).toString('hex');
    for (const f of frames) expect(Buffer.from(f).toString('hex')).not.toContain(keyHex);
  });

  it('uses a fresh challenge every time', () => {
    const challenges = new Set<string>();
    for (let i = 0; i < 20; i++) {
      new Handshake('master', authkeyBytes('k'), binding, (f) =>
        challenges.add(Buffer.from(f).toString('hex')),
      ).start();
    }
    expect(challenges.size).toBe(20);
  });

  it('refuses garbage instead of a response', () => {
    const sent: Uint8Array[] = [];
    const master = new Handshake('master', authkeyBytes('k'), binding, (f) => sent.push(f));
    master.start();
    expect(() => master.receive(new TextEncoder().encode('hello'))).toThrow(AuthenticationError);
    // Only the challenge and a one-byte failure: no text reaches an unauthenticated peer.
    expect(sent.map((f) => f.length)).toEqual([34, 1]);
  });

  it('reads and normalises SDP fingerprints', () => {
    const sdp = 'v=0\r\na=fingerprint:SHA-256 ab:cd:ef\r\na=setup:actpass\r\n';
    expect(sdpFingerprint(sdp)).toBe('sha-256 AB:CD:EF');
    expect(() => sdpFingerprint('v=0\r\n')).toThrow(ProtocolError);
  });

  it('refuses an empty authkey', () => {
    expect(() => authkeyBytes('')).toThrow(/authkey must not be empty/);
  });
});
