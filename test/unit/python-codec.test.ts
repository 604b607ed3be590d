/**
 * The WebRTC codec carries Python values with their Python types (the
 * extension types of shared/python/codec-extensions.ts): what a JS peer takes from a
 * queue fed by CPython, it can pass on unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../shared/errors.js';
import { PY_EXT } from '../../shared/python/codec-extensions.js';
import {
  PyByteArray,
  PyException,
  PyFloat,
  PyFrozenSet,
  PyGlobal,
  PyOpaque,
  PyTuple,
  type PyValue,
  tuple,
} from '../../shared/python/values.js';
import { Codec, MAX_DEPTH } from '../../shared/wire/codec.js';

const codec = new Codec();
const roundTrip = (value: unknown): unknown => codec.decode(codec.encode(value));

describe('Python values over the WebRTC codec', () => {
  it('keeps every Python type', () => {
    const when = new PyOpaque('datetime', 'datetime', 'call', [
      Uint8Array.from([7, 232, 1, 2, 3, 4, 5, 0, 0, 6]),
      new PyOpaque('datetime', 'timezone', 'call', [new PyOpaque('datetime', 'timedelta', 'call', [0, 0, 0])]),
    ]);
    const own = new PyOpaque('__main__', 'Point', 'new_ex', [1], {
      kwargs: new Map([['y', 2]]),
      state: new Map<PyValue, PyValue>([['label', 'p']]),
      listItems: [1],
      dictItems: [[tuple(1, 2), 'pair']],
    });
    const values: PyValue[] = [
      tuple(1, 'a', tuple()),
      new PyFloat(2),
      new Map<PyValue, PyValue>([
        [new PyFloat(1), 'x'],
        [tuple(1, 2), [3]],
        [null, true],
        [7, 'seven'],
      ]),
      new Set<PyValue>([1, 'a']),
      new PyFrozenSet([1, 2]),
      PyByteArray.from([1, 2, 3]),
      new PyGlobal('builtins', 'KeyError'),
      new PyException('builtins', 'ValueError', ['bad', 2], new Map([['__notes__', ['n']]])),
      new PyException('_queue', 'Empty'),
      when,
      own,
      new PyOpaque('collections', 'OrderedDict', 'call', [], {
        dictItems: [
          ['b', 1],
          ['a', 2],
        ],
      }),
    ];
    for (const value of values) expect(roundTrip(value)).toStrictEqual(value);
    expect(roundTrip(new PyFloat(2))).toBeInstanceOf(PyFloat);
    expect(roundTrip(PyByteArray.from([1]))).toBeInstanceOf(PyByteArray);
    // A JS Map keeps its key order and key types (MessagePack maps cannot).
    const back = roundTrip(
      new Map<unknown, unknown>([
        ['b', 1],
        [2, 'two'],
        ['a', 3],
      ]),
    ) as Map<unknown, unknown>;
    expect([...back.keys()]).toEqual(['b', 2, 'a']);
  });

  it('round-trips random nestings of them', () => {
    const { value } = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(
          fc.integer(),
          fc.string(),
          fc.constant(null),
          fc.integer().map((n) => new PyFloat(n)),
        ),
        fc.array(tie('value'), { maxLength: 4 }).map((items) => new PyTuple(items as PyValue[])),
        fc.array(fc.tuple(fc.oneof(fc.integer(), fc.string()), tie('value')), { maxLength: 3 }).map((e) => new Map(e)),
        fc.array(tie('value'), { maxLength: 3 }).map((args) => new PyOpaque('m', 'C', 'call', args as PyValue[])),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toStrictEqual(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('bounds nesting through extension values, both ways', () => {
    let deep: PyValue = 1;
    for (let i = 0; i <= MAX_DEPTH + 1; i++) deep = tuple(deep);
    expect(() => codec.encode(deep)).toThrow(TypeError);
    // Hand-made: tuple extensions nested 200 deep (ext 8 headers around a fixarray of 1).
    let bytes = Uint8Array.from([0x91, 0x01]);
    for (let i = 0; i < 200; i++) {
      const inner = Uint8Array.from([0x91, ...bytes]);
      bytes = Uint8Array.from([0xc7, inner.length, PY_EXT.TUPLE, ...inner]);
    }
    expect(() => codec.decode(bytes)).toThrow(ProtocolError);
  });

  it('refuses malformed payloads with ProtocolError', () => {
    const badFloat = Uint8Array.from([0xd4, PY_EXT.FLOAT, 0]);
    expect(() => codec.decode(badFloat)).toThrow(ProtocolError);
    const notArray = Uint8Array.from([0xd4, PY_EXT.TUPLE, 0x01]);
    expect(() => codec.decode(notArray)).toThrow(ProtocolError);
    const oddMap = codec.encode(new Map([[1, 2]]));
    oddMap[oddMap.length - 3] = 0x91; // the flat [k, v] array now claims one element
    expect(() => codec.decode(oddMap)).toThrow(ProtocolError);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 10 }), fc.uint8Array({ maxLength: 30 }), (type, data) => {
        try {
          codec.decode(Uint8Array.from([0xc7, data.length, type, ...data]));
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
