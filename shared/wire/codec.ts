/**
 * The value codec: MessagePack (via @msgpack/msgpack), hardened for data from
 * untrusted peers. Decoding never runs code, rejects `__proto__` keys, and
 * bounds string/binary/array/map sizes and nesting depth. Round-trips numbers,
 * strings, booleans, null, arrays, plain objects, Uint8Array (raw bytes, no
 * base64), BigInt of any size, `Map` and `Set`, and the Python values of
 * values.ts (extension types, python/codec-extensions.ts). Long arrays of only
 * strings or only numbers travel packed (packed-arrays.ts).
 */
import { DecodeError, Decoder, Encoder, ExtensionCodec } from '@msgpack/msgpack';
import { ProtocolError } from '../errors.js';
import { type NestedCodec, registerPythonExtensions } from '../python/codec-extensions.js';
import { PACKED_EXT, packArray, unpackNumbers, unpackStrings } from './packed-arrays.js';

/** MessagePack extension type for BigInt: the value as a decimal string (any size). */
const BIGINT_EXT_TYPE = 1;
/** Longest BigInt accepted from a peer, in decimal digits (parsing is quadratic). */
const MAX_BIGINT_DIGITS = 10_000;
/** Deepest nesting of arrays/objects encoded or accepted from a peer. */
export const MAX_DEPTH = 64;

export interface CodecLimits {
  /** Largest string or binary value, in bytes. */
  maxValueBytes: number;
  /** Most elements in one array or entries in one map. */
  maxCollectionLength: number;
}

export const DEFAULT_CODEC_LIMITS: CodecLimits = {
  maxValueBytes: 256 * 1024 * 1024,
  maxCollectionLength: 1_000_000,
};

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** What extension decoders get as context: nested values, and the limits a packed array is held to. */
interface CodecContext extends NestedCodec {
  readonly limits: CodecLimits;
}

const extensionCodec = new ExtensionCodec<CodecContext>();
registerPythonExtensions(extensionCodec);
// Encoding of packed arrays happens in PlainFirstEncoder (arrays never reach the extension search).
for (const [type, unpack] of [
  [PACKED_EXT.STRINGS, unpackStrings],
  [PACKED_EXT.NUMBERS, unpackNumbers],
] as const) {
  extensionCodec.register({
    type,
    encode: () => null,
    decode: (data: Uint8Array, _type: number, context: CodecContext) =>
      unpack(data, context.limits.maxCollectionLength),
  });
}
extensionCodec.register({
  type: BIGINT_EXT_TYPE,
  encode: (value: unknown) => (typeof value === 'bigint' ? utf8.encode(value.toString()) : null),
  decode: (data: Uint8Array) => {
    if (data.length > MAX_BIGINT_DIGITS + 1) throw new DecodeError(`BigInt extension of ${data.length} bytes`);
    const text = utf8Decoder.decode(data);
    if (text.length > MAX_BIGINT_DIGITS + 1 || !/^-?\d+$/.test(text)) {
      throw new DecodeError(`invalid BigInt extension payload (${data.length} bytes)`);
    }
    return BigInt(text);
  },
});

/**
 * @msgpack/msgpack decodes without recursion and has no depth option; its
 * array/map states go through these two methods, so a subclass bounds depth there.
 */
class DepthLimitedDecoder extends Decoder<CodecContext> {}
for (const method of ['pushArrayState', 'pushMapState'] as const) {
  const proto = Decoder.prototype as unknown as Record<string, (size: number) => void>;
  const original = proto[method];
  (DepthLimitedDecoder.prototype as unknown as Record<string, (size: number) => void>)[method] = function (
    this: { stack: { length: number } },
    size: number,
  ) {
    if (this.stack.length >= MAX_DEPTH) {
      throw new DecodeError(`nesting deeper than ${MAX_DEPTH} levels`);
    }
    original.call(this, size);
  };
}

/**
 * Plain arrays and plain objects (every protocol message) skip the search
 * through the extension types, which would otherwise run once per object
 * encoded: the hot path stays what it was before the Python extensions.
 * Long arrays of only strings or only numbers (batches) go packed.
 */
class PlainFirstEncoder extends Encoder<CodecContext> {}
{
  const proto = Encoder.prototype as unknown as Record<string, (object: unknown, depth: number) => void>;
  const { encodeObject, encodeArray, encodeMap, encodeExtension } = proto as Record<
    string,
    (this: unknown, o: unknown, d?: number) => void
  >;
  (PlainFirstEncoder.prototype as unknown as Record<string, unknown>).encodeObject = function (
    this: unknown,
    object: unknown,
    depth: number,
  ) {
    if (Array.isArray(object)) {
      const packed = packArray(object);
      if (packed) return (encodeExtension as (this: unknown, ext: unknown) => void).call(this, packed);
      return (encodeArray as (this: unknown, o: unknown, d: number) => void).call(this, object, depth);
    }
    const prototype = Object.getPrototypeOf(object);
    if (prototype === Object.prototype || prototype === null) {
      return (encodeMap as (this: unknown, o: unknown, d: number) => void).call(this, object, depth);
    }
    return (encodeObject as (this: unknown, o: unknown, d: number) => void).call(this, object, depth);
  };
}

export class Codec implements CodecContext {
  /** The bounds this codec holds a peer's data to. */
  readonly limits: CodecLimits;
  readonly #encoder: Encoder<CodecContext>;
  readonly #decoder: Decoder<CodecContext>;
  /** Encoders and decoders for values nested inside extension payloads, one per level in use. */
  readonly #nestedEncoders: Encoder<CodecContext>[] = [];
  readonly #nestedDecoders: Decoder<CodecContext>[] = [];
  #level = 0;

  constructor(limits: CodecLimits = DEFAULT_CODEC_LIMITS) {
    this.limits = limits;
    this.#encoder = this.#makeEncoder();
    this.#decoder = this.#makeDecoder();
  }

  #makeEncoder(): Encoder<CodecContext> {
    return new PlainFirstEncoder({ extensionCodec, context: this, maxDepth: MAX_DEPTH, ignoreUndefined: false });
  }

  #makeDecoder(): Decoder<CodecContext> {
    const limits = this.limits;
    return new DepthLimitedDecoder({
      extensionCodec,
      context: this,
      maxStrLength: limits.maxValueBytes,
      maxBinLength: limits.maxValueBytes,
      // Extension payloads hold nested values (a Python tuple's items): as large as a binary value.
      maxExtLength: limits.maxValueBytes,
      maxArrayLength: limits.maxCollectionLength,
      maxMapLength: limits.maxCollectionLength,
    });
  }

  /** Each extension level is a recursive call: bound them as MessagePack bounds its own nesting. */
  #nested<V>(run: (level: number) => V): V {
    if (this.#level >= MAX_DEPTH) throw new DecodeError(`extension values nested deeper than ${MAX_DEPTH} levels`);
    this.#level++;
    try {
      return run(this.#level);
    } finally {
      this.#level--;
    }
  }

  /** NestedCodec: the payload of an extension value (codec-extensions.ts). */
  encodeNested(value: unknown): Uint8Array {
    return this.#nested((level) => {
      this.#nestedEncoders[level] ??= this.#makeEncoder();
      return this.#nestedEncoders[level].encode(value);
    });
  }

  decodeNested(data: Uint8Array): unknown {
    return this.#nested((level) => {
      this.#nestedDecoders[level] ??= this.#makeDecoder();
      return this.#nestedDecoders[level].decode(data);
    });
  }

  /** Encodes one value; the result is a fresh copy the caller owns. */
  encode(value: unknown): Uint8Array {
    try {
      return this.#encoder.encode(value);
    } catch (err) {
      throw new TypeError(`cannot encode value: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Decodes exactly one value; throws ProtocolError on anything malformed or over the limits. */
  decode(bytes: Uint8Array): unknown {
    try {
      return this.#decoder.decode(bytes);
    } catch (err) {
      throw new ProtocolError(`undecodable message (${bytes.length} bytes): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Decodes a sequence of concatenated values (a batch frame). */
  decodeAll(bytes: Uint8Array): unknown[] {
    try {
      return [...this.#decoder.decodeMulti(bytes)];
    } catch (err) {
      throw new ProtocolError(`undecodable message batch (${bytes.length} bytes): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}
