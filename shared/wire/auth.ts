/**
 * Mutual authkey authentication on a fresh data channel, before anything else
 * crosses it: CPace (draft-irtf-cfrg-cpace, shared/cpace.ts) over
 * ristretto255 with SHA-512, the authkey as its password, then key
 * confirmation both ways. Fixed-size frames; the key never crosses the wire,
 * and nothing on the wire lets anyone test candidate keys offline.
 *
 *   both, on open     NONCE    [0xA1][version][32 random bytes]            34 bytes
 *   both, on NONCE    SHARE    [0xA6][Y: 32-byte ristretto255 element]     33 bytes
 *   both, on SHARE    CONFIRM  [0xA7][64-byte tag]                         65 bytes
 *   master, on error  FAILURE  [0xA4]                                       1 byte
 *
 * The worker is CPace's party A (initiator), the master party B:
 *   sid = Nm || Nw                      fresh for every connection
 *   CI  = lv_cat(LABEL, fp_worker, fp_master)
 *   g   = calculate_generator(authkey, CI, sid)
 *   Ya = ya·g, Yb = yb·g;  K = ya·Yb = yb·Ya;  ISK from sid, K, Ya | "worker", Yb | "master"
 *   tags: HMAC-SHA-512(H("CPaceMac" | sid | ISK), lv_cat(Y, role)) over each side's own share.
 *
 * `fp_*` are the DTLS certificate fingerprints of each end, read from the SDP
 * each side actually used. A man in the middle (say, a malicious signaling
 * server relaying frames between two legs) has different certificates on each
 * leg, so the two ends derive different generators and the tags do not verify.
 * The roles are in CI and in the tags, so a peer that reflects a side's own
 * frames back to it fails too.
 *
 * Version: both NONCE frames carry VERSION in the same place as the first
 * version's challenge, so peers of different versions tell each other apart
 * (and a later version can negotiate from there).
 *
 * The master sends nothing but these frames to a peer that has not proven the
 * key, and its only failure answer is FAILURE, whatever went wrong.
 *
 * Hashes and the group come from @noble/hashes and @noble/curves (audited,
 * pure JS) rather than WebCrypto: `crypto.subtle` is missing in pages served
 * over plain http from a LAN address.
 */

import { AuthenticationError, type CodeOf, ProtocolError } from '../errors.js';
import { constantTimeEqual } from './constant-time.js';
import {
  calculateGenerator,
  confirmationTag,
  ELEMENT_BYTES,
  intermediateSessionKey,
  isIdentity,
  lvCat,
  macKey,
  sampleScalar,
  scalarMult,
  scalarMultVfy,
  TAG_BYTES,
  transcriptIr,
} from './cpace.js';

const NONCE = 0xa1;
const FAILURE = 0xa4;
const SHARE = 0xa6;
const CONFIRM = 0xa7;
/**
 * The version byte of the handshake and of the messages after it: 1 was the
 * HMAC challenge-response, 2 CPace, 3 CPace with packed batch arrays
 * (packed-arrays.ts), which a version-2 peer could not decode. A mismatch is
 * refused in the first frame, with both numbers, rather than as garbled
 * messages later.
 */
export const PROTOCOL_VERSION = 3;
const NONCE_BYTES = 32;
export const FRAME_BYTES = { nonce: 2 + NONCE_BYTES, share: 1 + ELEMENT_BYTES, confirm: 1 + TAG_BYTES, failure: 1 };
const LABEL = 'peerproc-auth-v2 CPACE-RISTR255-SHA512';

export type AuthRole = 'master' | 'worker';

/** The DTLS fingerprints of both ends of one peer connection. */
export interface ChannelBinding {
  master: string;
  worker: string;
}

const utf8 = new TextEncoder();
/** The associated data of each party (ADa, ADb): constant, so known to both and never sent. */
const ROLE_AD: Record<AuthRole, Uint8Array> = { worker: utf8.encode('worker'), master: utf8.encode('master') };

export function authkeyBytes(authkey: string | Uint8Array): Uint8Array {
  const bytes = typeof authkey === 'string' ? utf8.encode(authkey) : authkey;
  if (bytes.length === 0) throw new TypeError('authkey must not be empty');
  return bytes;
}

/** Reads the DTLS certificate fingerprint (`a=fingerprint:`) from an SDP, normalised. */
export function sdpFingerprint(sdp: string): string {
  const match = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp);
  if (!match) throw new ProtocolError('the session description carries no DTLS fingerprint');
  return `${match[1].toLowerCase()} ${match[2].toUpperCase()}`;
}

/** CPace's channel identifier: the label, then the initiator's (worker's) and responder's (master's) fingerprints. */
export function channelIdentifier(binding: ChannelBinding): Uint8Array {
  return lvCat(utf8.encode(LABEL), utf8.encode(binding.worker), utf8.encode(binding.master));
}

type Stage = 'nonce' | 'share' | 'confirm' | 'done';

/**
 * One side of the handshake. Call `start()` once the channel is open, then
 * feed it every frame that arrives until `receive` returns true
 * (authenticated); it throws AuthenticationError or ProtocolError on failure,
 * the master after sending FAILURE.
 */
export class Handshake {
  readonly #role: AuthRole;
  readonly #peerRole: AuthRole;
  readonly #key: Uint8Array;
  readonly #binding: ChannelBinding;
  readonly #send: (frame: Uint8Array) => void;
  readonly #myNonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  readonly #scalar = sampleScalar();
  #stage: Stage = 'nonce';
  #sid: Uint8Array | undefined;
  #myShare: Uint8Array | undefined;
  #peerTag: Uint8Array | undefined;
  #sentTag = false;

  constructor(role: AuthRole, key: Uint8Array, binding: ChannelBinding, send: (frame: Uint8Array) => void) {
    this.#role = role;
    this.#peerRole = role === 'master' ? 'worker' : 'master';
    this.#key = key;
    this.#binding = binding;
    this.#send = send;
  }

  get done(): boolean {
    return this.#stage === 'done';
  }

  /**
   * True once this side sent its confirmation tag to a peer that has not
   * proven the key yet: that peer then holds one online guess (whether its
   * key was right), so the master counts the connection as a guess.
   */
  get guessSpent(): boolean {
    return this.#sentTag;
  }

  /** Both sides open with their nonce. */
  start(): void {
    const frame = new Uint8Array(FRAME_BYTES.nonce);
    frame[0] = NONCE;
    frame[1] = PROTOCOL_VERSION;
    frame.set(this.#myNonce, 2);
    this.#send(frame);
  }

  receive(frame: Uint8Array): boolean {
    if (this.#stage === 'done') throw new ProtocolError('handshake frame after authentication');
    if (this.#role === 'worker' && frame.length === FRAME_BYTES.failure && frame[0] === FAILURE) {
      throw new AuthenticationError(
        'KEY_REJECTED',
        'digest sent was rejected: the master does not accept this authkey',
      );
    }
    try {
      return this.#step(frame);
    } catch (err) {
      // The master's one answer to any failure; the worker just hangs up.
      if (this.#role === 'master') this.#send(Uint8Array.of(FAILURE));
      throw err;
    }
  }

  #step(frame: Uint8Array): boolean {
    switch (this.#stage) {
      case 'nonce':
        this.#onNonce(frame);
        return false;
      case 'share':
        this.#onShare(frame);
        return false;
      default:
        return this.#onConfirm(frame);
    }
  }

  #expect(frame: Uint8Array, type: number, bytes: number, what: string): void {
    if (frame.length !== bytes || frame[0] !== type) {
      throw this.#breach(
        `peer sent a ${frame.length}-byte frame of type 0x${(frame[0] ?? 0).toString(16)} instead of the ${what}`,
      );
    }
  }

  /** What the master reports is an authentication failure (counted, one FAILURE); the worker's, a protocol error. */
  #breach(message: string, code: CodeOf<'ProtocolError'> = 'PROTOCOL_VIOLATION'): Error {
    return this.#role === 'master'
      ? new AuthenticationError('PEER_UNPROVEN', message)
      : new ProtocolError(message, { code });
  }

  #onNonce(frame: Uint8Array): void {
    if (frame.length === FRAME_BYTES.nonce && frame[0] === NONCE && frame[1] !== PROTOCOL_VERSION) {
      throw this.#breach(
        `${this.#peerRole} speaks protocol version ${frame[1]}, this peer speaks ${PROTOCOL_VERSION}`,
        'VERSION_MISMATCH',
      );
    }
    this.#expect(frame, NONCE, FRAME_BYTES.nonce, `${this.#peerRole}'s nonce`);
    const peerNonce = frame.subarray(2);
    // A peer reflecting our own frames back must not get anywhere.
    if (constantTimeEqual(peerNonce, this.#myNonce))
      throw new AuthenticationError('PEER_UNPROVEN', 'peer echoed our own nonce');
    const [masterNonce, workerNonce] =
      this.#role === 'master' ? [this.#myNonce, peerNonce] : [peerNonce, this.#myNonce];
    const sid = new Uint8Array(2 * NONCE_BYTES);
    sid.set(masterNonce, 0);
    sid.set(workerNonce, NONCE_BYTES);
    this.#sid = sid;
    const g = calculateGenerator(this.#key, channelIdentifier(this.#binding), sid);
    this.#myShare = scalarMult(this.#scalar, g);
    const share = new Uint8Array(FRAME_BYTES.share);
    share[0] = SHARE;
    share.set(this.#myShare, 1);
    this.#stage = 'share';
    this.#send(share);
  }

  #onShare(frame: Uint8Array): void {
    this.#expect(frame, SHARE, FRAME_BYTES.share, `${this.#peerRole}'s key share`);
    const peerShare = frame.slice(1);
    const mine = this.#myShare as Uint8Array;
    const sid = this.#sid as Uint8Array;
    const k = scalarMultVfy(this.#scalar, peerShare);
    if (isIdentity(k) || constantTimeEqual(peerShare, mine)) {
      throw this.#breach(`${this.#peerRole} sent an invalid key share`);
    }
    const [ya, yb] = this.#role === 'worker' ? [mine, peerShare] : [peerShare, mine];
    const isk = intermediateSessionKey(sid, k, transcriptIr(ya, ROLE_AD.worker, yb, ROLE_AD.master));
    const tagKey = macKey(sid, isk);
    this.#peerTag = confirmationTag(tagKey, peerShare, ROLE_AD[this.#peerRole]);
    const confirm = new Uint8Array(FRAME_BYTES.confirm);
    confirm[0] = CONFIRM;
    confirm.set(confirmationTag(tagKey, mine, ROLE_AD[this.#role]), 1);
    this.#stage = 'confirm';
    this.#sentTag = true;
    this.#send(confirm);
  }

  #onConfirm(frame: Uint8Array): boolean {
    this.#expect(frame, CONFIRM, FRAME_BYTES.confirm, `${this.#peerRole}'s key confirmation`);
    if (!constantTimeEqual(frame.subarray(1), this.#peerTag as Uint8Array)) {
      throw new AuthenticationError(
        this.#role === 'master' ? 'PEER_UNPROVEN' : 'KEY_REJECTED',
        this.#role === 'master'
          ? 'digest received was wrong: the peer does not know the authkey'
          : 'digest sent was rejected: the master does not accept this authkey ' +
              '(or the peer in the master seat does not know it)',
      );
    }
    this.#stage = 'done';
    return true;
  }
}
