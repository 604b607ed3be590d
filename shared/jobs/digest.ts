/** The SHA-256 a job bundle is known by, the same on the master, in Node workers and in pages. */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export function bundleSha256(source: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(source)));
}

export function bundleBytes(source: string): number {
  return new TextEncoder().encode(source).length;
}
