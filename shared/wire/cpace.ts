/**
 * CPace over ristretto255 with SHA-512 (CPACE-RISTR255-SHA512), as
 * draft-irtf-cfrg-cpace (revision 21) defines it: the string encodings,
 * the generator, scalars, the shares, the shared point K, the intermediate
 * session key ISK and the draft's key-confirmation tags. Nothing here talks
 * to the network; shared/auth.ts builds the handshake on it.
 *
 * All group arithmetic is @noble/curves' ristretto255 (RFC 9496: encoding,
 * decoding, and the element derivation that maps 64 hash bytes to a point);
 * this file only arranges bytes as the draft says.
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';

const Point = ristretto255.Point;

/** The few operations of a ristretto255 point used here (noble's class type is not exported). */
export interface RistrettoPoint {
  multiply(scalar: bigint): RistrettoPoint;
  toBytes(): Uint8Array;
  is0(): boolean;
}

const ascii = (text: string) => new TextEncoder().encode(text);

/** G_Ristretto255.DSI */
export const DSI = ascii('CPaceRistretto255');
const DSI_ISK = ascii('CPaceRistretto255_ISK');
const MAC_PREFIX = ascii('CPaceMac');
/** SHA-512's input block size (H.s_in_bytes): the zero padding fills the first block. */
const HASH_BLOCK_BYTES = 128;
/** G.field_size_bytes: the generator takes 2 × 32 bytes of hash. */
const FIELD_BYTES = 32;
/** Encoded group elements (shares, K) are this long. */
export const ELEMENT_BYTES = 32;
/** ISK, the MAC key and the confirmation tags are SHA-512 sized. */
export const ISK_BYTES = 64;
export const TAG_BYTES = 64;
/** G.group_size_bits: sampled scalars are below 2^252, hence below the group order. */
const SCALAR_BITS = 252n;

/** G.I, the encoding of the neutral element. */
export const IDENTITY = new Uint8Array(ELEMENT_BYTES);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The data with its length in front, LEB128-encoded (7 bits a byte, least significant first). */
export function prependLen(data: Uint8Array): Uint8Array {
  const length: number[] = [];
  let n = data.length;
  do {
    length.push(n < 128 ? n : (n & 0x7f) | 0x80);
    n >>>= 7;
  } while (n > 0);
  return concat(Uint8Array.from(length), data);
}

/** lv_cat: every argument length-prefixed, so no two different argument lists give the same bytes. */
export function lvCat(...parts: Uint8Array[]): Uint8Array {
  return concat(...parts.map(prependLen));
}

/** generator_string(DSI, PRS, CI, sid, s_in_bytes): PRS zero-padded to fill the first hash block. */
export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const zpad = Math.max(0, HASH_BLOCK_BYTES - 1 - prependLen(prs).length - prependLen(DSI).length);
  return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid);
}

/** G.calculate_generator: SHA-512 of the generator string, mapped to the group (RFC 9496 element derivation). */
export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): RistrettoPoint {
  const hash = sha512(generatorString(prs, ci, sid)).subarray(0, 2 * FIELD_BYTES);
  return elementDerivation(hash);
}

/** RFC 9496 element derivation (64 uniform bytes to a point: two one-way maps, added). */
function elementDerivation(bytes: Uint8Array): RistrettoPoint {
  const derive = ristretto255_hasher.deriveToCurve;
  if (!derive) throw new Error('@noble/curves lacks ristretto255 element derivation (deriveToCurve)');
  return derive(bytes) as RistrettoPoint;
}

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

/** A scalar from its 32-byte little-endian encoding (as the draft's vectors give them). */
export function scalarFromBytes(bytes: Uint8Array): bigint {
  return littleEndian(bytes);
}

/**
 * G.sample_scalar, as the draft recommends: 32 random bytes with the bits
 * above 252 cleared, read little-endian. Zero (probability 2^-252) is drawn again.
 */
export function sampleScalar(): bigint {
  for (;;) {
    const y = littleEndian(crypto.getRandomValues(new Uint8Array(32))) & ((1n << SCALAR_BITS) - 1n);
    if (y !== 0n) return y;
  }
}

/** G.scalar_mult: y·g, encoded. */
export function scalarMult(y: bigint, g: RistrettoPoint): Uint8Array {
  return g.multiply(y).toBytes();
}

/**
 * G.scalar_mult_vfy: y·X for an encoded X received from the peer, or G.I when
 * X does not decode to a group element (or y·X is the neutral element).
 */
export function scalarMultVfy(y: bigint, encoded: Uint8Array): Uint8Array {
  let point: RistrettoPoint;
  try {
    point = Point.fromBytes(encoded) as RistrettoPoint;
  } catch {
    return IDENTITY;
  }
  if (point.is0()) return IDENTITY;
  const product = point.multiply(y);
  return product.is0() ? IDENTITY : product.toBytes();
}

export function isIdentity(encoded: Uint8Array): boolean {
  let bits = 0;
  for (const b of encoded) bits |= b;
  return encoded.length === ELEMENT_BYTES && bits === 0;
}

/** transcript_ir: the initiator's (A's) message first, then the responder's. */
export function transcriptIr(ya: Uint8Array, ada: Uint8Array, yb: Uint8Array, adb: Uint8Array): Uint8Array {
  return concat(lvCat(ya, ada), lvCat(yb, adb));
}

/** ISK = H(lv_cat(DSI || "_ISK", sid, K) || transcript_ir(Ya, ADa, Yb, ADb)). */
export function intermediateSessionKey(sid: Uint8Array, k: Uint8Array, transcript: Uint8Array): Uint8Array {
  return sha512(concat(lvCat(DSI_ISK, sid, k), transcript));
}

/** The draft's key confirmation (section "Key confirmation"): mac_key = H("CPaceMac" || sid || ISK). */
export function macKey(sid: Uint8Array, isk: Uint8Array): Uint8Array {
  return sha512(concat(MAC_PREFIX, sid, isk));
}

/** A party's tag over the message it sent: HMAC-SHA-512(mac_key, lv_cat(Y, AD)). */
export function confirmationTag(key: Uint8Array, y: Uint8Array, ad: Uint8Array): Uint8Array {
  return hmac(sha512, key, lvCat(y, ad));
}
