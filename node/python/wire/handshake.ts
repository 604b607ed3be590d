/**
 * CPython's mutual authentication (multiprocessing/connection.py
 * `deliver_challenge` / `answer_challenge`), in both forms:
 *
 * - legacy (3.11 and older): `#CHALLENGE#` + 20 random bytes, answered with
 *   the raw 16-byte HMAC-MD5 of those bytes;
 * - modern (3.12+): `#CHALLENGE#{sha256}` + 40 random bytes, answered with
 *   `{sha256}` + HMAC-SHA256 of the whole message (prefix included, so the
 *   algorithm cannot be downgraded).
 *
 * Like CPython 3.12, the verifying side accepts either answer form (a 3.11
 * peer answers a modern challenge with raw HMAC-MD5 of all of it), and the
 * answering side follows whichever form the challenge has. The server
 * delivers first then answers; the client answers first then delivers. The
 * authkey never crosses the wire. Every handshake frame is capped at 256 bytes.
 */
import { AuthenticationError } from '../../../shared/errors.js';
import { constantTimeEqual } from '../../../shared/wire/constant-time.js';
import { type DigestName, hmacDigest, parseDigestPrefix } from './digests.js';

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

export const CHALLENGE = ascii('#CHALLENGE#');
export const WELCOME = ascii('#WELCOME#');
export const FAILURE = ascii('#FAILURE#');

/** CPython reads every handshake message with `recv_bytes(256)`. */
export const HANDSHAKE_MAX_BYTES = 256;
/** Random bytes in a modern challenge (CPython 3.12 `MESSAGE_LENGTH`). */
export const CHALLENGE_RANDOM_BYTES = 40;
/** Random bytes in a legacy challenge (3.11), also the shortest challenge an answerer accepts. */
export const LEGACY_CHALLENGE_BYTES = 20;

/** `'sha256'`: what CPython 3.12+ sends; `'legacy'`: what 3.11 sends (20 bytes, HMAC-MD5). */
export type ChallengeForm = 'sha256' | 'legacy';

/** A message-oriented connection: one `send` is one CPython `send_bytes`. */
export interface PythonFrameChannel {
  send(payload: Uint8Array): void | Promise<void>;
  /** The next frame; rejects if it is longer than `maxBytes` or the connection ends. */
  receive(maxBytes: number): Promise<Uint8Array>;
}

export interface HandshakeOptions {
  /** Form of the challenge we deliver (default `'sha256'`). */
  challenge?: ChallengeForm;
}

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  return data.length >= prefix.length && prefix.every((b, i) => data[i] === b);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** Checks a response to `message` the way CPython 3.12's `_verify_challenge` does. */
function verifyResponse(authkey: Uint8Array, message: Uint8Array, response: Uint8Array): void {
  const { digest, payload } = parseDigestPrefix(response);
  const expected = hmacDigest(digest ?? 'md5', authkey, message);
  if (!constantTimeEqual(expected, payload))
    throw new AuthenticationError('PEER_UNPROVEN', 'digest received was wrong');
}

/** The answer to a challenge `message` (without the `#CHALLENGE#` marker), as CPython 3.12's `_create_response`. */
export function createResponse(authkey: Uint8Array, message: Uint8Array): Uint8Array {
  const { digest } = parseDigestPrefix(message);
  if (digest === null) return hmacDigest('md5', authkey, message);
  return concat(ascii(`{${digest}}`), hmacDigest(digest as DigestName, authkey, message));
}

/** Proves the peer knows the authkey: sends a challenge, checks the answer, replies WELCOME or FAILURE. */
export async function deliverChallenge(
  channel: PythonFrameChannel,
  authkey: Uint8Array,
  form: ChallengeForm = 'sha256',
): Promise<void> {
  const message =
    form === 'legacy'
      ? randomBytes(LEGACY_CHALLENGE_BYTES)
      : concat(ascii('{sha256}'), randomBytes(CHALLENGE_RANDOM_BYTES));
  await channel.send(concat(CHALLENGE, message));
  const response = await channel.receive(HANDSHAKE_MAX_BYTES);
  try {
    verifyResponse(authkey, message, response);
  } catch (err) {
    await channel.send(FAILURE);
    throw err;
  }
  await channel.send(WELCOME);
}

/** Proves we know the authkey: answers the peer's challenge and expects WELCOME. */
export async function answerChallenge(channel: PythonFrameChannel, authkey: Uint8Array): Promise<void> {
  const framed = await channel.receive(HANDSHAKE_MAX_BYTES);
  if (!startsWith(framed, CHALLENGE))
    throw new AuthenticationError('AUTH_MALFORMED', 'protocol error: expected a challenge');
  const message = framed.subarray(CHALLENGE.length);
  if (message.length < LEGACY_CHALLENGE_BYTES) {
    throw new AuthenticationError('AUTH_MALFORMED', `challenge too short: ${message.length} bytes`);
  }
  await channel.send(createResponse(authkey, message));
  const verdict = await channel.receive(HANDSHAKE_MAX_BYTES);
  if (!constantTimeEqual(verdict, WELCOME)) throw new AuthenticationError('KEY_REJECTED', 'digest sent was rejected');
}

/** The serving side of a new connection (CPython `Listener.accept`): challenge, then answer. */
export async function serverHandshake(
  channel: PythonFrameChannel,
  authkey: Uint8Array,
  options: HandshakeOptions = {},
): Promise<void> {
  await deliverChallenge(channel, authkey, options.challenge);
  await answerChallenge(channel, authkey);
}

/** The connecting side (CPython `Client`): answer, then challenge. */
export async function clientHandshake(
  channel: PythonFrameChannel,
  authkey: Uint8Array,
  options: HandshakeOptions = {},
): Promise<void> {
  await answerChallenge(channel, authkey);
  await deliverChallenge(channel, authkey, options.challenge);
}
