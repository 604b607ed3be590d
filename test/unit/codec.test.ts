import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../shared/errors.js';
import { Codec, MAX_DEPTH } from '../../shared/wire/codec.js';

const codec = new Codec();

describe('Codec', () => {
  it('round-trips every supported kind of value', () => {
    const value = {
      int: 3411,
      negative: -7,
      float: 1.5,
      big: 2n ** 100n,
      smallBig: -5n,
      maxSafe: Number.MAX_SAFE_INTEGER,
      text: 'n * n = n²',
      yes: true,
      no: false,
      nothing: null,
      list: [1, 'two', [3]],
      bytes: new Uint8Array([0, 1, 255]),
      nested: { a: { b: { c: 'd' } } },
    };
    expect(codec.decode(codec.encode(value))).toEqual(value);
  });

  it('keeps bytes as Uint8Array, not base64', () => {
    const bytes = new Uint8Array(1000).map((_, i) => i & 0xff);
    const encoded = codec.encode(bytes);
    expect(encoded.length).toBeLessThan(1010);
    expect(codec.decode(encoded)).toEqual(bytes);
  });

  it('decodes a batch of concatenated values', () => {
    const batch = new Uint8Array([...codec.encode(1), ...codec.encode('a'), ...codec.encode([2n])]);
    expect(codec.decodeAll(batch)).toEqual([1, 'a', [2n]]);
  });

  it('refuses to encode values nested deeper than the limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_DEPTH + 1; i++) deep = [deep];
    expect(() => codec.encode(deep)).toThrow(TypeError);
  });

  it('refuses input nested deeper than the limit', () => {
    const bytes = new Uint8Array(MAX_DEPTH + 10).fill(0x91); // fixarray of 1, repeated
    expect(() => codec.decode(bytes)).toThrow(/nesting deeper than 64/);
  });

  it('refuses __proto__ keys (no prototype pollution)', () => {
    // {"__proto__": {"polluted": 1}} written by hand
    const bytes = new Uint8Array([
      0x81,
      0xa9,
      ...new TextEncoder().encode('__proto__'),
      0x81,
      0xa8,
      ...new TextEncoder().encode('polluted'),
      0x01,
    ]);
    expect(() => codec.decode(bytes)).toThrow(ProtocolError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses length fields larger than the limits before allocating', () => {
    const small = new Codec({ maxValueBytes: 1024, maxCollectionLength: 100 });
    expect(() => small.decode(new Uint8Array([0xc6, 0x7f, 0xff, 0xff, 0xff]))).toThrow(/maxBinLength/);
    expect(() => small.decode(new Uint8Array([0xdd, 0x00, 0x01, 0x00, 0x00]))).toThrow(/maxArrayLength/);
  });

  it('refuses malformed BigInt extensions', () => {
    const text = new TextEncoder().encode('12x');
    expect(() => codec.decode(new Uint8Array([0xc7, text.length, 1, ...text]))).toThrow(ProtocolError);
  });

  it('only ever throws ProtocolError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          codec.decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('round-trips arbitrary JSON-like values', () => {
    fc.assert(
      // `__proto__` keys are refused on decode by design (tested above).
      fc.property(
        fc.jsonValue({ maxDepth: 8 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')),
        (value) => {
          const decoded = codec.decode(codec.encode(value));
          // -0 encodes as 0 in MessagePack; JSON semantics treat them alike.
          expect(JSON.stringify(decoded)).toEqual(JSON.stringify(value));
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
