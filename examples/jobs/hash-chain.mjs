// Imports an npm package (@noble/hashes): the master bundles it into the job.
// A task { text, rounds } is hashed `rounds` times with SHA-256; the result is
// the final digest in hex.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export const name = 'SHA-256 hash chain';

export default function hashChain({ text, rounds = 1 }) {
  let digest = sha256(utf8ToBytes(String(text)));
  for (let i = 1; i < rounds; i++) digest = sha256(digest);
  return bytesToHex(digest);
}
