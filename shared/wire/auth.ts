/**
 * Mutual authkey authentication on a fresh data channel, before anything else
 * crosses it. HMAC-SHA256 challenge-response with a fresh random challenge in
 * each direction and fixed-size messages; the key never crosses the wire.
 *
 *   master -> worker  CHALLENGE [0xA1][version][32-byte Cm]
 *   worker -> master  RESPONSE  [0xA2][HMAC(k, "worker" | Cm | Cw | fp)][32-byte Cw]
 *   master -> worker  WELCOME   [0xA3][HMAC(k, "master" | Cw | Cm | fp)]   or  FAILURE [0xA4]
 *
 * `fp` binds the proof to this peer connection: the DTLS certificate
 * fingerprints of master and worker, read from the SDP each side actually
 * used. A man in the middle (say, a malicious signaling server relaying the
 * challenge-response between two legs) has different certificates on each
 * leg, so the proofs it relays do not verify.
 *
 * The master sends nothing but its challenge (and a one-byte FAILURE) to a peer
 * that has not proven the key: no data, no error text.
 *
 * SHA-256 comes from @noble/hashes (audited, pure JS) rather than WebCrypto:
 * `crypto.subtle` is missing in pages served over plain http from a LAN address.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { AuthenticationError, ProtocolError } from '../errors.js';
import { constantTimeEqual } from './constant-time.js';

const CHALLENGE = 0xa1;
const RESPONSE = 0xa2;
const WELCOME = 0xa3;
const FAILURE = 0xa4;
const VERSION = 1;
const NONCE_BYTES = 32;
const MAC_BYTES = 32;
const CHALLENGE_BYTES = 2 + NONCE_BYTES;
const RESPONSE_BYTES = 1 + MAC_BYTES + NONCE_BYTES;
const WELCOME_BYTES = 1 + MAC_BYTES;
const LABEL = 'peerproc-auth-v1';

export type AuthRole = 'master' | 'worker';

/** The DTLS fingerprints of both ends of one peer connection. */
export interface ChannelBinding {
  master: string;
  worker: string;
}

const utf8 = new TextEncoder();

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

function mac(key: Uint8Array, role: AuthRole, first: Uint8Array, second: Uint8Array, binding: ChannelBinding) {
  const context = utf8.encode(`${LABEL}\n${role}\n${binding.master}\n${binding.worker}\n`);
  const message = new Uint8Array(context.length + first.length + second.length);
  message.set(context, 0);
  message.set(first, context.length);
  message.set(second, context.length + first.length);
  return hmac(sha256, key, message);
}

function nonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

/**
 * One side of the handshake. Feed it every frame that arrives until
 * `receive` returns true (authenticated); it throws AuthenticationError or
 * ProtocolError on failure, after sending FAILURE where the protocol says so.
 */
export class Handshake {
  readonly #role: AuthRole;
  readonly #key: Uint8Array;
  readonly #binding: ChannelBinding;
  readonly #send: (frame: Uint8Array) => void;
  readonly #myNonce = nonce();
  #peerNonce: Uint8Array | undefined;
  #done = false;

  constructor(role: AuthRole, key: Uint8Array, binding: ChannelBinding, send: (frame: Uint8Array) => void) {
    this.#role = role;
    this.#key = key;
    this.#binding = binding;
    this.#send = send;
  }

  /** The master opens with its challenge; the worker waits for it. */
  start(): void {
    if (this.#role === 'master') {
      const frame = new Uint8Array(CHALLENGE_BYTES);
      frame[0] = CHALLENGE;
      frame[1] = VERSION;
      frame.set(this.#myNonce, 2);
      this.#send(frame);
    }
  }

  receive(frame: Uint8Array): boolean {
    if (this.#done) throw new ProtocolError('handshake frame after authentication');
    return this.#role === 'master' ? this.#masterReceive(frame) : this.#workerReceive(frame);
  }

  #masterReceive(frame: Uint8Array): boolean {
    if (frame.length !== RESPONSE_BYTES || frame[0] !== RESPONSE) {
      this.#send(new Uint8Array([FAILURE]));
      throw new AuthenticationError(
        'PEER_UNPROVEN',
        `peer sent a ${frame.length}-byte frame of type 0x${(frame[0] ?? 0).toString(16)} instead of the authentication response`,
      );
    }
    const proof = frame.subarray(1, 1 + MAC_BYTES);
    const workerNonce = frame.slice(1 + MAC_BYTES);
    const expected = mac(this.#key, 'worker', this.#myNonce, workerNonce, this.#binding);
    if (!constantTimeEqual(proof, expected)) {
      this.#send(new Uint8Array([FAILURE]));
      throw new AuthenticationError('PEER_UNPROVEN', 'digest received was wrong: the peer does not know the authkey');
    }
    const welcome = new Uint8Array(WELCOME_BYTES);
    welcome[0] = WELCOME;
    welcome.set(mac(this.#key, 'master', workerNonce, this.#myNonce, this.#binding), 1);
    this.#send(welcome);
    this.#done = true;
    return true;
  }

  #workerReceive(frame: Uint8Array): boolean {
    if (this.#peerNonce === undefined) {
      if (frame.length !== CHALLENGE_BYTES || frame[0] !== CHALLENGE) {
        throw new ProtocolError(`expected the master's authentication challenge, got a ${frame.length}-byte frame`);
      }
      if (frame[1] !== VERSION) {
        throw new ProtocolError(`master speaks authentication version ${frame[1]}, this peer speaks ${VERSION}`);
      }
      this.#peerNonce = frame.slice(2);
      const response = new Uint8Array(RESPONSE_BYTES);
      response[0] = RESPONSE;
      response.set(mac(this.#key, 'worker', this.#peerNonce, this.#myNonce, this.#binding), 1);
      response.set(this.#myNonce, 1 + MAC_BYTES);
      this.#send(response);
      return false;
    }
    if (frame.length === 1 && frame[0] === FAILURE) {
      throw new AuthenticationError(
        'KEY_REJECTED',
        'digest sent was rejected: the master does not accept this authkey',
      );
    }
    if (frame.length !== WELCOME_BYTES || frame[0] !== WELCOME) {
      throw new ProtocolError(`expected the master's welcome, got a ${frame.length}-byte frame`);
    }
    const expected = mac(this.#key, 'master', this.#myNonce, this.#peerNonce, this.#binding);
    if (!constantTimeEqual(frame.subarray(1), expected)) {
      throw new AuthenticationError(
        'MASTER_UNPROVEN',
        'the master could not prove it knows the authkey (or the connection is intercepted)',
      );
    }
    this.#done = true;
    return true;
  }
}
