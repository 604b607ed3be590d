/**
 * Packed encodings for long homogeneous arrays: a batch of result strings or
 * of task numbers travels as one MessagePack extension value instead of one
 * MessagePack value per item. Decoding a batch of 512 seed results this way
 * takes about 18 ns per item against 250 for item-by-item MessagePack (one
 * UTF-8 decode of the whole body, then slices), and encoding about 40 against
 * 190 (docs/performance.md, "Packed batch arrays").
 *
 * An array is packed only when the packed form decodes to exactly what
 * MessagePack would have given, so what a peer receives never depends on the
 * array's length: strings must be well-formed UTF-16 (lone surrogates take
 * the item-by-item path), and numbers must not include -0 (which MessagePack
 * writes as the integer 0).
 */
import { DecodeError, type ExtData } from '@msgpack/msgpack';

/** Extension type numbers (1 is the codec's BigInt, 2-10 the Python values of python/codec-extensions.ts). */
export const PACKED_EXT = {
  /** u32 count, then count u32 UTF-16 lengths, then the UTF-8 text of all the strings joined. */
  STRINGS: 11,
  /** One byte naming the element kind (NUMBER_KIND), then the numbers little-endian in that kind. */
  NUMBERS: 12,
} as const;

/** Shorter arrays gain nothing from packing (the scan and the header cost what they save). */
export const MIN_PACKED_LENGTH = 16;
/**
 * Arrays of strings longer than this in all (UTF-16 code units) go item by
 * item: the packed form is written into a buffer sized for the worst case
 * (3 bytes a unit), and the gain is in many short items, not in a few long ones.
 */
export const MAX_PACKED_TEXT = 1 << 20;

const U32 = 4;
const utf8 = new TextEncoder();
/** fatal: a peer's malformed UTF-8 is an error, not replacement characters. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Browsers before 2023 lack it: there arrays of strings take the item-by-item path. */
const hasWellFormedCheck = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function';

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * The packed form of an array of strings, or null when it does not qualify.
 * A lone surrogate inside one string makes the joined text ill-formed; one
 * split across two neighbours (a high surrogate ending one, a low one starting
 * the next) would join into a valid pair, so no string may start with a low one.
 */
function packStrings(items: readonly unknown[]): Uint8Array | null {
  for (const item of items) {
    if (typeof item !== 'string') return null;
    if (item.length > 0 && isLowSurrogate(item.charCodeAt(0))) return null;
  }
  const strings = items as readonly string[];
  const joined = strings.join('');
  if (joined.length > MAX_PACKED_TEXT) return null;
  if (!(joined as unknown as { isWellFormed(): boolean }).isWellFormed()) return null;
  const header = U32 * (1 + strings.length);
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const out = new Uint8Array(header + joined.length * 3);
  const view = new DataView(out.buffer);
  view.setUint32(0, strings.length, true);
  for (let i = 0; i < strings.length; i++) view.setUint32(U32 * (1 + i), (strings[i] as string).length, true);
  const { written } = utf8.encodeInto(joined, out.subarray(header));
  return out.subarray(0, header + written);
}

/**
 * How packed numbers are stored: the narrowest kind that holds every item
 * exactly, so a batch of task numbers 0..10,000 takes 2 bytes an item (3 in
 * MessagePack) rather than a double's 8: fewer bytes through SCTP and DTLS,
 * which cost the sender per byte. The kind is the payload's first byte.
 */
const NUMBER_KIND = { FLOAT64: 0, INT32: 1, UINT16: 2, UINT8: 3 } as const;
const KIND_BYTES: Record<number, number> = { 0: 8, 1: 4, 2: 2, 3: 1 };

/** The narrowest kind that holds every item exactly, or null when an item is not a number or is -0. */
function narrowestKind(items: readonly unknown[]): number | null {
  let min = 0;
  let max = 0;
  let integers = true;
  for (const item of items) {
    if (typeof item !== 'number' || Object.is(item, -0)) return null;
    if (!integers) continue;
    if (!Number.isInteger(item)) integers = false;
    else if (item < min) min = item;
    else if (item > max) max = item;
  }
  if (!integers) return NUMBER_KIND.FLOAT64;
  if (min < 0) return min >= -(2 ** 31) && max < 2 ** 31 ? NUMBER_KIND.INT32 : NUMBER_KIND.FLOAT64;
  if (max <= 0xff) return NUMBER_KIND.UINT8;
  if (max <= 0xffff) return NUMBER_KIND.UINT16;
  return max < 2 ** 31 ? NUMBER_KIND.INT32 : NUMBER_KIND.FLOAT64;
}

function packNumbers(items: readonly unknown[]): Uint8Array | null {
  const kind = narrowestKind(items);
  if (kind === null) return null;
  const numbers = items as readonly number[];
  const out = new Uint8Array(1 + (KIND_BYTES[kind] as number) * numbers.length);
  out[0] = kind;
  const view = new DataView(out.buffer);
  const n = numbers.length;
  // One loop per kind: DataView calls with a constant byte order are what V8 turns into plain loads and stores.
  if (kind === NUMBER_KIND.UINT8) for (let i = 0; i < n; i++) out[1 + i] = numbers[i] as number;
  else if (kind === NUMBER_KIND.UINT16)
    for (let i = 0; i < n; i++) view.setUint16(1 + 2 * i, numbers[i] as number, true);
  else if (kind === NUMBER_KIND.INT32) for (let i = 0; i < n; i++) view.setInt32(1 + 4 * i, numbers[i] as number, true);
  else for (let i = 0; i < n; i++) view.setFloat64(1 + 8 * i, numbers[i] as number, true);
  return out;
}

/** The extension value for a long homogeneous array, or null to encode it item by item. */
export function packArray(items: readonly unknown[]): ExtData | null {
  if (items.length < MIN_PACKED_LENGTH) return null;
  const first = typeof items[0];
  if (first === 'string' && hasWellFormedCheck) {
    const data = packStrings(items);
    return data && { type: PACKED_EXT.STRINGS, data };
  }
  if (first === 'number') {
    const data = packNumbers(items);
    return data && { type: PACKED_EXT.NUMBERS, data };
  }
  return null;
}

/** Decodes PACKED_EXT.STRINGS, holding a peer's payload to the collection limit and to its own lengths. */
export function unpackStrings(data: Uint8Array, maxCollectionLength: number): string[] {
  if (data.length < U32) throw new DecodeError(`packed strings of ${data.length} bytes: no count`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(0, true);
  if (count > maxCollectionLength) {
    throw new DecodeError(`packed array of ${count} strings exceeds the limit of ${maxCollectionLength}`);
  }
  const header = U32 * (1 + count);
  if (data.length < header) {
    throw new DecodeError(`packed strings of ${data.length} bytes cannot hold ${count} lengths`);
  }
  let text: string;
  try {
    text = strictUtf8.decode(data.subarray(header));
  } catch {
    throw new DecodeError(`packed strings: the ${data.length - header}-byte body is not valid UTF-8`);
  }
  const out = new Array<string>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(U32 * (1 + i), true);
    if (length > text.length - at) {
      throw new DecodeError(`packed strings: lengths overrun the ${text.length}-character body at item ${i}`);
    }
    out[i] = text.slice(at, at + length);
    at += length;
  }
  if (at !== text.length) {
    throw new DecodeError(`packed strings: lengths cover ${at} of the body's ${text.length} characters`);
  }
  return out;
}

/** Decodes PACKED_EXT.NUMBERS into a plain array of numbers. */
export function unpackNumbers(data: Uint8Array, maxCollectionLength: number): number[] {
  const kind = data[0] ?? -1;
  const bytes = KIND_BYTES[kind];
  if (bytes === undefined) throw new DecodeError(`packed numbers of unknown kind ${kind} (${data.length} bytes)`);
  const body = data.length - 1;
  if (body % bytes !== 0) throw new DecodeError(`packed numbers of ${body} bytes: not a multiple of ${bytes}`);
  const count = body / bytes;
  if (count > maxCollectionLength) {
    throw new DecodeError(`packed array of ${count} numbers exceeds the limit of ${maxCollectionLength}`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Array<number>(count);
  if (kind === NUMBER_KIND.UINT8) for (let i = 0; i < count; i++) out[i] = data[1 + i] as number;
  else if (kind === NUMBER_KIND.UINT16) for (let i = 0; i < count; i++) out[i] = view.getUint16(1 + 2 * i, true);
  else if (kind === NUMBER_KIND.INT32) for (let i = 0; i < count; i++) out[i] = view.getInt32(1 + 4 * i, true);
  else for (let i = 0; i < count; i++) out[i] = view.getFloat64(1 + 8 * i, true);
  return out;
}
