/**
 * The first handshake version's worker proof (HMAC-SHA256 challenge-response,
 * replaced by CPace), kept only so tests can show that the offline attack it
 * allowed no longer applies: whoever held the master seat received
 * HMAC(k, "worker" | Cm | Cw | fingerprints) and could test any candidate k.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { ChannelBinding } from '../../shared/wire/auth.js';

export function legacyWorkerProof(
  key: Uint8Array,
  masterNonce: Uint8Array,
  workerNonce: Uint8Array,
  binding: ChannelBinding,
): Uint8Array {
  const context = new TextEncoder().encode(`peerproc-auth-v1\nworker\n${binding.master}\n${binding.worker}\n`);
  return hmac(sha256, key, Uint8Array.from([...context, ...masterNonce, ...workerNonce]));
}

/** The first version's RESPONSE frame: [0xA2][proof][Cw]. */
export function legacyResponse(
  key: Uint8Array,
  masterNonce: Uint8Array,
  workerNonce: Uint8Array,
  binding: ChannelBinding,
) {
  return Uint8Array.from([0xa2, ...legacyWorkerProof(key, masterNonce, workerNonce, binding), ...workerNonce]);
}

/** Does any frame hold the old proof for `key` (at any offset)? The dictionary attack's test. */
export function legacyProofFound(
  frames: Uint8Array[],
  key: Uint8Array,
  masterNonce: Uint8Array,
  workerNonce: Uint8Array,
  binding: ChannelBinding,
): boolean {
  const proof = Buffer.from(legacyWorkerProof(key, masterNonce, workerNonce, binding));
  return frames.some((f) => Buffer.from(f).includes(proof));
}
