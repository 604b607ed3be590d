import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../shared/errors.js';
import { Codec } from '../../shared/wire/codec.js';
import { MAX_PACKED_TEXT, MIN_PACKED_LENGTH, PACKED_EXT } from '../../shared/wire/packed-arrays.js';

const codec = new Codec();
const roundTrip = (value: unknown) => codec.decode(codec.encode(value));

/** The extension type of an encoded top-level value written as ext 8, 16 or 32 (how packed arrays are written), else null. */
function extType(bytes: Uint8Array): number | null {
  if (bytes[0] === 0xc7) return bytes[2] as number;
  if (bytes[0] === 0xc8) return bytes[3] as number;
  if (bytes[0] === 0xc9) return bytes[5] as number;
  return null;
}

/** An ext 32 frame of the given type around a payload: what a hostile peer could send. */
function ext32(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(6 + payload.length);
  const view = new DataView(out.buffer);
  out[0] = 0xc9;
  view.setUint32(1, payload.length);
  out[5] = type;
  out.set(payload, 6);
  return out;
}

function stringsPayload(lengths: number[], body: Uint8Array, count = lengths.length): Uint8Array {
  const out = new Uint8Array(4 * (1 + lengths.length) + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, count, true);
  for (const [i, length] of lengths.entries()) view.setUint32(4 * (1 + i), length, true);
  out.set(body, 4 * (1 + lengths.length));
  return out;
}

const seedResults = Array.from({ length: 512 }, (_, i) => `${i} * ${i} = ${i * i}`);

describe('packed batch arrays', () => {
  it('packs a batch of seed results and of task numbers, and decodes them back exactly', () => {
    const results = codec.encode(seedResults);
    expect(extType(results)).toBe(PACKED_EXT.STRINGS);
    expect(codec.decode(results)).toEqual(seedResults);
    const numbers = Array.from({ length: 512 }, (_, i) => i * 7 - 100);
    const encoded = codec.encode(numbers);
    expect(extType(encoded)).toBe(PACKED_EXT.NUMBERS);
    expect(codec.decode(encoded)).toEqual(numbers);
  });

  it('packs arrays nested in messages (the batch calls carry them as arguments)', () => {
    const message = { id: 7, method: '__putBatch', args: [seedResults], items: [1.5, ...Array(40).fill(2)] };
    expect(roundTrip(message)).toEqual(message);
  });

  it('keeps non-ASCII text, emoji, empty strings and astral characters intact', () => {
    const items = ['n * n = n²', '', '😀', 'a😀b', '', '日本語', '\u{10ffff}', 'é', ...Array(20).fill('x')];
    expect(extType(codec.encode(items))).toBe(PACKED_EXT.STRINGS);
    expect(roundTrip(items)).toEqual(items);
  });

  it('leaves lone surrogates to the item-by-item path, even split across neighbours', () => {
    const lone = ['\ud800', ...Array(20).fill('x')];
    expect(extType(codec.encode(lone))).toBeNull();
    // '\ud83d' + '\ude00' would join into a valid pair; packed, the items would still come back, but MessagePack's own
    // path is what a short array of the same strings takes, so the long one must take it too.
    const split = ['a\ud83d', '\ude00b', ...Array(20).fill('x')];
    expect(extType(codec.encode(split))).toBeNull();
    expect(roundTrip(split)).toEqual((roundTrip(split.slice(0, 2)) as string[]).concat(Array(20).fill('x')));
  });

  it('decodes numbers as MessagePack would: NaN, infinities, large and fractional values; -0 is not packed', () => {
    const numbers = [NaN, Infinity, -Infinity, 2 ** 60, 0.1, -1e-300, Number.MAX_SAFE_INTEGER, ...Array(20).fill(3)];
    expect(extType(codec.encode(numbers))).toBe(PACKED_EXT.NUMBERS);
    expect(roundTrip(numbers)).toEqual(numbers);
    const withNegativeZero = [-0, ...Array(20).fill(1)];
    expect(extType(codec.encode(withNegativeZero))).toBeNull();
    expect(Object.is((roundTrip(withNegativeZero) as number[])[0], 0)).toBe(true);
  });

  it('stores numbers in the narrowest kind that holds them all exactly', () => {
    // The payload's bytes after the kind byte: less the ext 8 / 16 / 32 header (3, 4 or 6 bytes) and the kind.
    const sized = (items: number[]) => {
      const bytes = codec.encode(items);
      return bytes.length - ({ 199: 3, 200: 4, 201: 6 }[bytes[0] as number] ?? Number.NaN) - 1;
    };
    const base = Array(20).fill(1) as number[];
    expect(sized([...base, 255])).toBe(21);
    expect(sized([...base, 256])).toBe(2 * 21);
    expect(sized([...base, 65_535])).toBe(2 * 21);
    expect(sized([...base, 65_536])).toBe(4 * 21);
    expect(sized([...base, -1])).toBe(4 * 21);
    expect(sized([...base, 2 ** 31 - 1, -(2 ** 31)])).toBe(4 * 22);
    expect(sized([...base, 2 ** 31])).toBe(8 * 21);
    expect(sized([...base, -(2 ** 31) - 1])).toBe(8 * 21);
    expect(sized([...base, 0.5])).toBe(8 * 21);
    for (const edge of [255, 256, 65_535, 65_536, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 0.5]) {
      const items = [...base, edge, -edge || 0];
      expect(roundTrip(items)).toEqual(items);
    }
  });

  it('does not pack short or mixed arrays', () => {
    expect(extType(codec.encode(Array(MIN_PACKED_LENGTH - 1).fill('s')))).toBeNull();
    expect(extType(codec.encode(Array(MIN_PACKED_LENGTH).fill('s')))).toBe(PACKED_EXT.STRINGS);
    const mixed = [...Array(30).fill('s'), 1];
    expect(extType(codec.encode(mixed))).toBeNull();
    expect(roundTrip(mixed)).toEqual(mixed);
    const long = Array(MIN_PACKED_LENGTH).fill('x'.repeat(MAX_PACKED_TEXT / MIN_PACKED_LENGTH + 1)) as string[];
    expect(extType(codec.encode(long))).toBeNull();
    expect(roundTrip(long)).toEqual(long);
    const withBig = [...Array(30).fill(1), 2n];
    expect(roundTrip(withBig)).toEqual(withBig);
  });

  it('round-trips arbitrary arrays of strings and of numbers as item-by-item MessagePack would', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { minLength: 0, maxLength: 60 }), (items) => {
        expect(roundTrip(items)).toEqual(items.map((s) => codec.decode(codec.encode(s))));
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.array(fc.double(), { maxLength: 60 }), (items) => {
        expect(roundTrip(items)).toEqual(items.map((n) => codec.decode(codec.encode(n))));
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses malformed packed strings from a peer with ProtocolError', () => {
    const body = new TextEncoder().encode('abcdef');
    const cases: [string, Uint8Array][] = [
      ['no count', new Uint8Array([1, 0])],
      ['too few lengths', stringsPayload([1], body, 5)],
      ['lengths overrun', stringsPayload([3, 4], body)],
      ['lengths short of the body', stringsPayload([3, 2], body)],
      ['invalid UTF-8', stringsPayload([2], new Uint8Array([0xc3, 0x28]))],
    ];
    for (const [what, payload] of cases) {
      expect(() => codec.decode(ext32(PACKED_EXT.STRINGS, payload)), what).toThrow(ProtocolError);
    }
    expect(() => codec.decode(ext32(PACKED_EXT.STRINGS, stringsPayload([3, 4], body)))).toThrow(
      /lengths overrun the 6-character body at item 1/,
    );
  });

  it('holds packed arrays to the collection limit', () => {
    const small = new Codec({ maxValueBytes: 1 << 20, maxCollectionLength: 100 });
    const strings = small.encode(Array(101).fill('s'));
    expect(() => small.decode(strings)).toThrow(/packed array of 101 strings exceeds the limit of 100/);
    // A count field that claims more items than the payload could hold is refused before any allocation.
    expect(() => small.decode(ext32(PACKED_EXT.STRINGS, stringsPayload([], new Uint8Array(), 0xffffffff)))).toThrow(
      /exceeds the limit of 100/,
    );
    const numbers = small.encode(Array(101).fill(1));
    expect(() => small.decode(numbers)).toThrow(/packed array of 101 numbers exceeds the limit of 100/);
    expect(() => small.decode(ext32(PACKED_EXT.NUMBERS, new Uint8Array(12)))).toThrow(/11 bytes: not a multiple of 8/);
    expect(() => small.decode(ext32(PACKED_EXT.NUMBERS, Uint8Array.of(2, 0, 0, 0)))).toThrow(/not a multiple of 2/);
    expect(() => small.decode(ext32(PACKED_EXT.NUMBERS, Uint8Array.of(9, 0)))).toThrow(/unknown kind 9/);
    expect(() => small.decode(ext32(PACKED_EXT.NUMBERS, new Uint8Array()))).toThrow(/unknown kind -1/);
  });

  it('only ever throws ProtocolError on arbitrary packed payloads', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(PACKED_EXT.STRINGS, PACKED_EXT.NUMBERS),
        fc.uint8Array({ maxLength: 128 }),
        (type, payload) => {
          try {
            codec.decode(ext32(type, payload));
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
