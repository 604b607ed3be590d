/**
 * Strong authkeys by default: a generated key for masters started without
 * one, the ready-to-share worker link and command that carry it, and the
 * warning for short keys chosen by hand. The handshake (shared/auth.ts)
 * leaves an attacker one online guess per connection, throttled
 * (shared/guess-limiter.ts); a generated key makes those guesses hopeless.
 */
import { parseAddress } from '../signaling/protocol.js';

/** Generated keys have 128 random bits. */
export const GENERATED_AUTHKEY_BYTES = 16;
/** Keys shorter than this many bytes get a warning. */
export const MIN_AUTHKEY_BYTES = 16;

/** A fresh random key, as 32 lowercase hex characters (safe in URLs, shells and forms). */
export function generateAuthkey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(GENERATED_AUTHKEY_BYTES));
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** A one-line warning for a key that can be guessed online, or undefined for a long enough one. */
export function shortAuthkeyWarning(authkey: string | Uint8Array): string | undefined {
  const bytes = typeof authkey === 'string' ? new TextEncoder().encode(authkey).length : authkey.length;
  if (bytes >= MIN_AUTHKEY_BYTES) return undefined;
  return (
    `warning: the authkey is only ${bytes} byte(s) long and can be guessed online; ` +
    `leave it out to get a generated ${GENERATED_AUTHKEY_BYTES * 8}-bit key`
  );
}

/**
 * The worker page on the signaling server of `address` (the http(s) origin of
 * its ws(s) URL), with the key in the fragment, which browsers never send to
 * servers: `http://host:8080/worker?room=jobs#authkey=...`. An address with
 * query parameters (an access token) goes whole into `?address=`.
 */
export function workerPageLink(address: string, authkey: string): string {
  const { room } = parseAddress(address);
  const url = new URL(address);
  const page = new URL('/worker', `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`);
  if (url.search) page.searchParams.set('address', address);
  else page.searchParams.set('room', room);
  page.hash = `authkey=${encodeURIComponent(authkey)}`;
  return page.toString();
}

/** The matching `peerproc worker` command (the key in the environment, out of process listings). */
export function workerCommand(address: string, authkey: string): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `PEERPROC_AUTHKEY=${quote(authkey)} peerproc worker --address ${quote(address)}`;
}
