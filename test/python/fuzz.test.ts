/**
 * Property and fuzz tests (fast-check, 65,000 generated inputs in all): the
 * pickle decoder and the frame decoder never crash or hang on any input and
 * only ever throw their documented error classes; the codec round-trips
 * every value it documents; frames survive any chunking.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PickleError,
  PyByteArray,
  PyException,
  PyFloat,
  PyFrozenSet,
  PyGlobal,
  PyOpaque,
  PyToken,
  PyTuple,
  type PyValue,
  pickle,
  unpickle,
} from '../../node/python/pickle/index.js';
import { decodeRequest, encodeFrame, FrameDecoder } from '../../node/python/wire/index.js';
import { MessageTooLargeError, ProtocolError } from '../../shared/errors.js';

/** Every opcode byte the decoder knows, supported or refused, to make random input go deep. */
const OPCODES = [
  0x28, 0x2e, 0x30, 0x31, 0x32, 0x46, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56,
  0x58, 0x61, 0x62, 0x63, 0x64, 0x7d, 0x65, 0x67, 0x68, 0x69, 0x6a, 0x6c, 0x5d, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74,
  0x29, 0x75, 0x47, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x42, 0x43, 0x8c, 0x8d,
  0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
];

/** Decodes, accepting only success or a PickleError: anything else fails the property. */
function decodesOrRefuses(bytes: Uint8Array): void {
  try {
    unpickle(bytes, { maxValues: 100_000 });
  } catch (err) {
    if (!(err instanceof PickleError)) throw err;
  }
}

const safeInt = (value: bigint): number | bigint =>
  value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;

/** Any JS string, lone surrogates included (pickle carries them with surrogatepass). */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 }).map((codes) => String.fromCharCode(...codes)),
);

const leaf: fc.Arbitrary<PyValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 600n), max: 2n ** 600n }).map(safeInt),
  fc.double().filter((x) => !Number.isSafeInteger(x)),
  anyString,
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => PyByteArray.from(b)),
  fc.integer().map((n) => new PyFloat(n)),
  fc.constantFrom(new PyGlobal('builtins', 'KeyError'), new PyGlobal('__main__', 'Point')),
  fc.constantFrom(new PyException('_queue', 'Empty'), new PyException('queue', 'Full')),
  anyString.map((m) => new PyException('builtins', 'KeyError', [m])),
);

const { value: anyValue } = fc.letrec<{ value: PyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(tie('value'), { maxLength: 5 }).map((items) => new PyTuple(items)),
    fc
      .uniqueArray(fc.tuple(fc.oneof(anyString, fc.integer()), tie('value')), { maxLength: 4, selector: ([k]) => k })
      .map((entries) => new Map<PyValue, PyValue>(entries)),
    fc.uniqueArray(fc.oneof(fc.integer(), anyString), { maxLength: 4 }).map((items) => new Set<PyValue>(items)),
    fc.uniqueArray(fc.integer(), { maxLength: 4 }).map((items) => new PyFrozenSet(items)),
    fc.tuple(anyString, anyString).map(([t, id]) => new PyToken(t, new PyTuple(['127.0.0.1', 5000]), id)),
    // Opaque values: a call of a value type, or an instance of a client's class with items and state.
    fc
      .record({
        call: fc.boolean(),
        args: fc.array(tie('value'), { maxLength: 3 }),
        state: fc.option(tie('value'), { nil: undefined }),
        listItems: fc.array(tie('value'), { maxLength: 2 }),
        dictItems: fc.array(fc.tuple(fc.oneof(anyString, fc.integer()), tie('value')), { maxLength: 2 }),
      })
      .map(
        ({ call, args, state, listItems, dictItems }) =>
          new PyOpaque(call ? 'collections' : '__main__', call ? 'OrderedDict' : 'Thing', call ? 'call' : 'new', args, {
            state,
            listItems,
            dictItems: dictItems as Array<[PyValue, PyValue]>,
          }),
      ),
  ),
}));

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('opcode' as const), at: fc.nat(), byte: fc.constantFrom(...OPCODES) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.constantFrom(...OPCODES) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }),
);

function mutate(data: Uint8Array, edits: Array<{ kind: string; at: number; byte: number }>): Uint8Array {
  let bytes = [...data];
  for (const { kind, at, byte } of edits) {
    const i = bytes.length === 0 ? 0 : at % bytes.length;
    if (kind === 'set' || kind === 'opcode') bytes[i] = byte;
    else if (kind === 'delete') bytes.splice(i, 1);
    else if (kind === 'insert') bytes.splice(i, 0, byte);
    else bytes = bytes.slice(0, i);
  }
  return Uint8Array.from(bytes);
}

describe('pickle decoder fuzzing', () => {
  it('random bytes (20,000): decodes or refuses with PickleError', () => {
    const header = fc.constantFrom([], [0x80, 2], [0x80, 4], [0x80, 5], [0x80, 4, 0x95, 20, 0, 0, 0, 0, 0, 0, 0]);
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 200 }), (head, body) => {
        decodesOrRefuses(Uint8Array.from([...head, ...body]));
      }),
      { numRuns: 20_000 },
    );
  });

  it('opcode soup (15,000): decodes or refuses with PickleError', () => {
    const byte = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...OPCODES) }, fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 120 }), (body) => {
        decodesOrRefuses(Uint8Array.from([0x80, 4, ...body, 0x2e]));
      }),
      { numRuns: 15_000 },
    );
  });

  it('mutated valid pickles (10,000): decodes or refuses with PickleError', () => {
    fc.assert(
      fc.property(anyValue, fc.array(mutation, { minLength: 1, maxLength: 4 }), (value, edits) => {
        decodesOrRefuses(mutate(pickle(value), edits));
      }),
      { numRuns: 10_000 },
    );
  });

  it('requests (3,000): decodeRequest only throws PickleError or ProtocolError', () => {
    fc.assert(
      fc.property(anyValue, fc.array(mutation, { maxLength: 2 }), (value, edits) => {
        try {
          decodeRequest(mutate(pickle(value), edits));
        } catch (err) {
          if (!(err instanceof PickleError) && !(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('pickle codec properties', () => {
  it('round-trips every documented value (5,000)', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        expect(unpickle(pickle(value))).toStrictEqual(value);
      }),
      { numRuns: 5_000 },
    );
  });

  it('writes PyFloat as a float even when integral', () => {
    expect(unpickle(pickle(new PyFloat(2)))).toStrictEqual(new PyFloat(2));
    expect(unpickle(pickle(2))).toBe(2);
    expect(pickle(new PyFloat(2))).not.toEqual(pickle(2));
  });
});

describe('frame decoder fuzzing', () => {
  it('random bytes in random chunks (7,000): frames, MessageTooLargeError or ProtocolError only', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 10 }),
        fc.integer({ min: 0, max: 1 << 20 }),
        (chunks, maxBytes) => {
          const decoder = new FrameDecoder({ maxFrameBytes: maxBytes });
          try {
            for (const chunk of chunks) {
              decoder.push(chunk);
              for (let f = decoder.next(); f; f = decoder.next()) expect(f.length).toBeLessThanOrEqual(maxBytes);
            }
          } catch (err) {
            if (!(err instanceof MessageTooLargeError) && !(err instanceof ProtocolError)) throw err;
          }
        },
      ),
      { numRuns: 7_000 },
    );
  });

  it('valid frames under any chunking (5,000): the same payloads come out', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (payloads, cuts) => {
          const stream = Uint8Array.from(payloads.flatMap((p) => [...encodeFrame(p)]));
          const points = [...new Set(cuts.map((c) => (stream.length === 0 ? 0 : c % stream.length)))].sort(
            (a, b) => a - b,
          );
          const decoder = new FrameDecoder();
          const out: Uint8Array[] = [];
          let last = 0;
          for (const at of [...points, stream.length]) {
            decoder.push(stream.subarray(last, at));
            last = at;
            for (let f = decoder.next(); f; f = decoder.next()) out.push(f);
          }
          expect(out).toStrictEqual(payloads);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
