/**
 * The HMAC digests CPython's handshake may name (`_ALLOWED_DIGESTS` in
 * multiprocessing/connection.py), and constant-time comparison.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { md5 } from '@noble/hashes/legacy.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { sha3_256, sha3_384 } from '@noble/hashes/sha3.js';
import { AuthenticationError } from '../../../shared/errors.js';

export type DigestName = 'md5' | 'sha256' | 'sha384' | 'sha3_256' | 'sha3_384';

const HASHES = { md5, sha256, sha384, sha3_256, sha3_384 } as const;

/** Longest digest name, bounding where the closing `}` of a `{name}` prefix may be. */
const MAX_DIGEST_NAME = 8;

/** Lengths that mean "legacy, unprefixed MD5": a 3.11 challenge (20 bytes) or an HMAC-MD5 reply (16). */
const LEGACY_LENGTHS: ReadonlySet<number> = new Set([20, 16]);

export function isDigestName(name: string): name is DigestName {
  return Object.hasOwn(HASHES, name);
}

export function hmacDigest(name: DigestName, key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(HASHES[name], key, message);
}

/**
 * Splits a challenge or a response into its digest name and payload, as
 * CPython 3.12's `_get_digest_name_and_payload`: 16 or 20 bytes is the legacy
 * form (name `null`, meaning raw HMAC-MD5), anything else needs a `{name}`
 * prefix naming an allowed digest.
 */
export function parseDigestPrefix(message: Uint8Array): { digest: DigestName | null; payload: Uint8Array } {
  if (LEGACY_LENGTHS.has(message.length)) return { digest: null, payload: message };
  if (message[0] === 0x7b /* { */) {
    const end = message.subarray(0, MAX_DIGEST_NAME + 2).indexOf(0x7d /* } */, 1);
    if (end > 0) {
      const name = String.fromCharCode(...message.subarray(1, end));
      if (isDigestName(name)) return { digest: name, payload: message.subarray(end + 1) };
    }
  }
  throw new AuthenticationError(
    'AUTH_MALFORMED',
    'unsupported message length, missing digest prefix, or unsupported digest',
  );
}
