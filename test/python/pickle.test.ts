/**
 * The pickle codec against real CPython: pickles made by python3 (protocols
 * 2-5) decode to the documented JS values, our pickles load in python3 as the
 * same Python values, the managers messages are byte-identical to CPython's,
 * and everything outside the allowed set is refused.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PickleDecodeError,
  PickleEncodeError,
  PickleError,
  PickleForbiddenError,
  PickleLimitError,
  PickleOpcodeError,
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
  tuple,
  unpickle,
} from '../../node/python/pickle/index.js';
import { GlobalPolicy } from '../../node/python/pickle/policy.js';
import { runPython } from './helpers.js';

interface Case {
  /** A Python expression (with queue, _queue and Token imported). */
  py: string;
  /** What decoding Python's pickle of `py` gives. */
  js: PyValue;
  /** What to encode so Python gets back `py` (default `js`). */
  encode?: unknown;
  /** Our protocol-4 pickle must equal CPython's byte for byte. */
  exact?: boolean;
  /** Only checked in the Python-to-JS direction. */
  decodeOnly?: boolean;
}

const exc = (module: string, name: string, ...args: PyValue[]): PyException => new PyException(module, name, args);
const opaque = (module: string, name: string, ...args: PyValue[]): PyOpaque => new PyOpaque(module, name, 'call', args);
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const CASES: Case[] = [
  { py: 'None', js: null, exact: true },
  { py: 'True', js: true },
  { py: 'False', js: false },
  ...[0, 1, 255, 256, 65535, 65536, -1, -129, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1].map(
    (n): Case => ({ py: String(n), js: n, exact: true }),
  ),
  { py: '-(2**53-1)', js: -(2 ** 53 - 1) },
  { py: '2**53', js: 2n ** 53n },
  { py: '-2**53', js: -(2n ** 53n) },
  { py: '2**63', js: 2n ** 63n, exact: true },
  { py: '-2**63', js: -(2n ** 63n), exact: true },
  { py: '-2**63-1', js: -(2n ** 63n) - 1n, exact: true },
  { py: '-2**200+7', js: -(2n ** 200n) + 7n, exact: true },
  { py: '2**2047', js: 2n ** 2047n, exact: true },
  { py: '-2**2047', js: -(2n ** 2047n), exact: true },
  { py: '1.5', js: 1.5, exact: true },
  { py: '0.1', js: 0.1 },
  { py: '-0.0', js: new PyFloat(-0) },
  { py: '1e300', js: 1e300 },
  { py: "float('inf')", js: Infinity },
  { py: "float('nan')", js: Number.NaN },
  { py: '2.0', js: new PyFloat(2), exact: true },
  { py: '-7.0', js: new PyFloat(-7), exact: true },
  {
    py: "{1.0: 'x', 2: 3.0}",
    js: new Map<PyValue, PyValue>([
      [new PyFloat(1), 'x'],
      [2, new PyFloat(3)],
    ]),
    exact: true,
  },
  { py: "''", js: '', exact: true },
  { py: "'abc'", js: 'abc', exact: true },
  { py: "'é漢字🎉'", js: 'é漢字🎉', exact: true },
  { py: "'x' * 300", js: 'x'.repeat(300), exact: true },
  { py: "'\\ud800 lone'", js: '\ud800 lone' },
  { py: "'\\udc00'", js: '\udc00' },
  { py: "'\\ufeffbom'", js: '\ufeffbom' },
  { py: "b''", js: bytes(), exact: true },
  { py: "b'\\x00\\xff'", js: bytes(0, 255), exact: true },
  { py: 'bytes(range(256)) * 2', js: Uint8Array.from([...range(256), ...range(256)]), exact: true },
  { py: "bytearray(b'ab')", js: PyByteArray.from([97, 98]), exact: true },
  { py: 'bytearray()', js: new PyByteArray(0), exact: true },
  // Values peerproc keeps as they were pickled (PyOpaque): written back with the same opcodes.
  { py: 'datetime.date(2024, 1, 2)', js: opaque('datetime', 'date', bytes(7, 232, 1, 2)), exact: true },
  {
    py: 'datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)',
    js: opaque(
      'datetime',
      'datetime',
      bytes(7, 232, 1, 2, 3, 4, 5, 0, 0, 6),
      opaque('datetime', 'timezone', opaque('datetime', 'timedelta', 0, 0, 0)),
    ),
  },
  { py: "decimal.Decimal('1.10')", js: opaque('decimal', 'Decimal', '1.10'), exact: true },
  { py: 'complex(1, 2)', js: opaque('builtins', 'complex', new PyFloat(1), new PyFloat(2)), exact: true },
  { py: 'range(1, 10, 2)', js: opaque('builtins', 'range', 1, 10, 2), exact: true },
  {
    py: "collections.OrderedDict([('a', 1), ('b', [2])])",
    js: new PyOpaque('collections', 'OrderedDict', 'call', [], {
      dictItems: [
        ['a', 1],
        ['b', [2]],
      ],
    }),
    exact: true,
  },
  {
    py: 'collections.deque([1, 2])',
    js: new PyOpaque('collections', 'deque', 'call', [], { listItems: [1, 2] }),
    exact: true,
  },
  {
    py: 'uuid.UUID(int=5)',
    js: new PyOpaque('uuid', 'UUID', 'new', [], { state: new Map([['int', 5]]) }),
    exact: true,
  },
  { py: 'KeyError', js: new PyGlobal('builtins', 'KeyError'), exact: true },
  { py: '()', js: tuple(), exact: true },
  { py: '(1,)', js: tuple(1), exact: true },
  { py: '(1, 2)', js: tuple(1, 2), exact: true },
  { py: '(1, 2, 3)', js: tuple(1, 2, 3), exact: true },
  { py: '(1, 2, 3, 4)', js: tuple(1, 2, 3, 4), exact: true },
  { py: '((), ((),))', js: tuple(tuple(), tuple(tuple())) },
  { py: '[]', js: [], exact: true },
  { py: '[1]', js: [1], exact: true },
  { py: "[1, [2, ['x']]]", js: [1, [2, ['x']]], exact: true },
  { py: 'list(range(2500))', js: range(2500), exact: true },
  { py: '{}', js: new Map(), exact: true },
  { py: "{'a': 1}", js: new Map([['a', 1]]), exact: true },
  { py: "{'a': 1}", js: new Map([['a', 1]]), encode: { a: 1 } },
  {
    py: "{1: 'x', (1, 2): [3], None: True}",
    js: new Map<PyValue, PyValue>([
      [1, 'x'],
      [tuple(1, 2), [3]],
      [null, true],
    ]),
  },
  {
    py: '{str(i): i for i in range(1500)}',
    js: new Map(range(1500).map((i) => [String(i), i])),
    exact: true,
  },
  { py: 'set()', js: new Set() },
  { py: '{1, 2, 3}', js: new Set([1, 2, 3]) },
  { py: 'frozenset()', js: new PyFrozenSet() },
  { py: "frozenset({'a'})", js: new PyFrozenSet(['a']) },
  { py: '_queue.Empty()', js: exc('_queue', 'Empty'), exact: true },
  { py: 'queue.Full()', js: exc('queue', 'Full'), exact: true },
  { py: "KeyError('x')", js: exc('builtins', 'KeyError', 'x'), exact: true },
  { py: "ValueError('bad', 2)", js: exc('builtins', 'ValueError', 'bad', 2), exact: true },
  { py: 'RuntimeError()', js: exc('builtins', 'RuntimeError'), exact: true },
  // Not OSError(2, ...): Python makes that a FileNotFoundError, which protocol 2 spells exceptions.OSError.
  { py: "OSError(99999, 'odd')", js: exc('builtins', 'OSError', 99999, 'odd'), exact: true },
  {
    py: "(lambda e: (e.add_note('n'), e)[1])(ValueError('v'))",
    js: new PyException('builtins', 'ValueError', ['v'], new Map([['__notes__', ['n']]])),
    exact: true,
  },
  {
    py: "Token('q', ('127.0.0.1', 5000), '7f')",
    js: new PyToken('q', tuple('127.0.0.1', 5000), '7f'),
    exact: true,
  },
  { py: "('#ERROR', _queue.Empty())", js: tuple('#ERROR', exc('_queue', 'Empty')), exact: true },
  { py: "('#ERROR', queue.Full())", js: tuple('#ERROR', exc('queue', 'Full')), exact: true },
  { py: "(None, 'get', (True, 1), {})", js: tuple(null, 'get', tuple(true, 1), new Map()), exact: true },
  {
    py: "('3f', 'put', ('1234 * 1234 = 1522756',), {'block': False})",
    js: tuple('3f', 'put', tuple('1234 * 1234 = 1522756'), new Map([['block', false]])),
    exact: true,
  },
  {
    py: "('#RETURN', ('7f12ab', ('get', 'put')))",
    js: tuple('#RETURN', tuple('7f12ab', tuple('get', 'put'))),
    exact: true,
  },
  {
    py: "('#PROXY', (('a',), Token('q', ('127.0.0.1', 5000), '7f')))",
    js: tuple('#PROXY', tuple(tuple('a'), new PyToken('q', tuple('127.0.0.1', 5000), '7f'))),
    exact: true,
  },
];

const PRELUDE = `
import json, sys, math, pickle, queue, _queue, datetime, decimal, collections, uuid
from multiprocessing.managers import Token
from multiprocessing.reduction import ForkingPickler

def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, BaseException):
        return same(a.args, b.args) and same(getattr(a, '__dict__', {}), getattr(b, '__dict__', {}))
    if isinstance(a, Token):
        return same((a.typeid, a.address, a.id), (b.typeid, b.address, b.id))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(same(ka, kb) and same(va, vb) for (ka, va), (kb, vb) in zip(a.items(), b.items()))
    if isinstance(a, float):
        return (a != a and b != b) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b
`;

const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

describe('pickles made by CPython', () => {
  const exprs = CASES.map((c) => c.py);
  // Python pickles every case with protocols 2 to 5, as the managers' ForkingPickler does.
  const made = JSON.parse(
    runPython(
      `${PRELUDE}
exprs = json.load(sys.stdin)
print(json.dumps([[bytes(ForkingPickler.dumps(eval(e), p)).hex() for p in (2, 3, 4, 5)] for e in exprs]))`,
      JSON.stringify(exprs),
    ),
  ) as string[][];

  it.each(CASES.map((c, i) => [c.py, i] as const))('decodes %s (protocols 2-5)', (_py, i) => {
    const c = CASES[i] as Case;
    for (const [p, data] of (made[i] as string[]).entries()) {
      expect(unpickle(fromHex(data)), `protocol ${p + 2}`).toStrictEqual(c.js);
    }
  });

  it('writes the managers messages byte for byte as CPython does', () => {
    const mismatches = CASES.flatMap((c, i) => {
      if (!c.exact) return [];
      const ours = hex(pickle(c.encode ?? c.js));
      const theirs = (made[i] as string[])[2] as string;
      return ours === theirs ? [] : [`${c.py}\n  ours   ${ours}\n  python ${theirs}`];
    });
    expect(mismatches).toEqual([]);
  });

  it('keeps shared and self references', () => {
    const out = JSON.parse(
      runPython(`${PRELUDE}
s = [1]
l = [s, s]
r = []
r.append(r)
t = ([],)
t[0].append(t)
print(json.dumps([pickle.dumps(x, 4).hex() for x in (l, r, t)]))`),
    ) as string[];
    const shared = unpickle(fromHex(out[0] as string)) as PyValue[][];
    expect(shared[0]).toBe(shared[1]);
    const self = unpickle(fromHex(out[1] as string)) as PyValue[];
    expect(self[0]).toBe(self);
    const recursiveTuple = unpickle(fromHex(out[2] as string)) as PyTuple;
    expect(((recursiveTuple.items[0] as PyValue[])[0] as PyTuple).items[0]).toBe(recursiveTuple.items[0]);
  });
});

describe('pickles made by us, loaded by CPython', () => {
  it('gives back the same Python values', () => {
    const input = CASES.filter((c) => !c.decodeOnly).map((c) => ({ py: c.py, hex: hex(pickle(c.encode ?? c.js)) }));
    const results = JSON.parse(
      runPython(
        `${PRELUDE}
out = []
for case in json.load(sys.stdin):
    loaded = pickle.loads(bytes.fromhex(case['hex']))
    out.append(None if same(loaded, eval(case['py'])) else '%s -> %r' % (case['py'], loaded))
print(json.dumps([o for o in out if o]))`,
        JSON.stringify(input),
      ),
    );
    expect(results).toEqual([]);
  });

  it('writes shared, self-referencing and recursive-tuple structures Python rebuilds', () => {
    const shared = [1];
    const self: unknown[] = [];
    self.push(self);
    const inner: unknown[] = [];
    const recursive = new PyTuple([inner as PyValue]);
    inner.push(recursive);
    // Past three items a tuple is built from a MARK, so its way back to itself is another opcode path.
    const longInner: unknown[] = [];
    const longRecursive = new PyTuple([1, 2, 3, longInner as PyValue]);
    longInner.push(longRecursive);
    const input = [pickle([shared, shared]), pickle(self), pickle(recursive), pickle(longRecursive)].map(hex);
    const out = runPython(
      `${PRELUDE}
a, b, c, d = (pickle.loads(bytes.fromhex(h)) for h in json.load(sys.stdin))
print(a[0] is a[1], b[0] is b, c[0][0] is c, d[3][0] is d and d[:3] == (1, 2, 3))`,
      JSON.stringify(input),
    );
    expect(out.trim()).toBe('True True True True');
  });

  it('round-trips a large bytes value through Python unchanged', () => {
    const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff);
    const back = runPython(
      `${PRELUDE}
data = pickle.loads(bytes.fromhex(sys.stdin.read()))
assert type(data) is bytes and len(data) == 300000
sys.stdout.write(pickle.dumps(data, 4).hex())`,
      hex(pickle(big)),
    );
    expect(unpickle(fromHex(back))).toStrictEqual(big);
  });
});

describe('refusals', () => {
  const pwned = `/tmp/pwned-pickle-${process.pid}`;

  it('refuses a pickle that would run os.system, without running it', () => {
    const data = runPython(`
import os, pickle, sys
class Evil:
    def __reduce__(self):
        return (os.system, ('touch ${pwned}',))
sys.stdout.write(pickle.dumps(('x', 'put', (Evil(),), {}), 4).hex())`);
    expect(() => unpickle(fromHex(data))).toThrow(PickleForbiddenError);
    expect(() => unpickle(fromHex(data))).toThrow(/posix\.system/);
    expect(existsSync(pwned)).toBe(false);
  });

  it('refuses calls outside the value types, instances outside the policy, and unknown opcodes', () => {
    const [enumMember, decoder, builtinsEval, dotted, protocol0] = JSON.parse(
      runPython(`
import json, pickle, enum, os, argparse
class Color(enum.Enum):
    RED = 1
class Sneaky:
    def __reduce__(self):
        return (os.path.join, ('a', 'b'))
print(json.dumps([pickle.dumps(Color.RED, 4).hex(), pickle.dumps(argparse.Namespace(a=1), 4).hex(),
                  pickle.dumps(eval, 4).hex(), pickle.dumps(Sneaky(), 4).hex(), pickle.dumps([1, 'a'], 0).hex()]))`),
    ) as string[];
    // An enum member is a call of its class: not a known value type, so refused unless allowed.
    expect(() => unpickle(fromHex(enumMember as string))).toThrow(/refused call of __main__\.Color/);
    expect(unpickle(fromHex(enumMember as string), { globals: new GlobalPolicy({ allow: ['__main__.*'] }) })).toEqual(
      opaque('__main__', 'Color', 1),
    );
    expect(() => unpickle(fromHex(decoder as string))).toThrow(/refused instance of argparse\.Namespace/);
    expect(() => unpickle(fromHex(builtinsEval as string))).toThrow(/builtins\.eval/);
    expect(() => unpickle(fromHex(dotted as string))).toThrow(/refused call of posixpath\.join/);
    // `module.*` covers top-level names only, never an attribute chain such as __main__.os.system.
    const chain = bytes(
      0x80,
      4,
      0x8c,
      8,
      ...Buffer.from('__main__'),
      0x8c,
      9,
      ...Buffer.from('os.system'),
      0x93,
      0x29,
      0x81,
      0x2e,
    );
    expect(() => unpickle(chain)).toThrow(/refused instance of __main__\.os\.system/);
    expect(() => unpickle(fromHex(protocol0 as string))).toThrow(PickleOpcodeError);
    for (const err of [PickleForbiddenError]) expect(() => unpickle(fromHex(dotted as string))).toThrow(err);
  });

  it('never writes a global the policy refuses, whoever built the value', () => {
    expect(() => pickle(new PyOpaque('posix', 'system', 'call', ['touch /tmp/x']))).toThrow(PickleForbiddenError);
    expect(() => pickle(new PyGlobal('builtins', 'eval'))).toThrow(PickleForbiddenError);
    expect(() => pickle(new PyOpaque('__main__', 'Thing', 'call'))).toThrow(
      /refused to write a call of __main__\.Thing/,
    );
    expect(pickle(new PyOpaque('__main__', 'Thing', 'new'))).toBeInstanceOf(Uint8Array);
    expect(
      pickle(new PyOpaque('posix', 'system', 'call'), { globals: new GlobalPolicy({ allow: ['*'] }) }),
    ).toBeInstanceOf(Uint8Array);
  });

  it('refuses truncated input and lengths beyond the input without allocating', () => {
    const good = pickle(tuple('#RETURN', 'x'.repeat(100)));
    for (let cut = 0; cut < good.length; cut++) {
      expect(() => unpickle(good.subarray(0, cut))).toThrow(PickleDecodeError);
    }
    // BINBYTES8 announcing 2**60 bytes.
    expect(() => unpickle(bytes(0x80, 4, 0x8e, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x2e))).toThrow(/truncated/);
    // LONG4 with a negative and with a huge length.
    expect(() => unpickle(bytes(0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0xff, 0x2e))).toThrow(PickleDecodeError);
    expect(() => unpickle(bytes(0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0x7f, 0x2e))).toThrow(PickleLimitError);
    expect(() => unpickle(bytes(0x80, 9, 0x4e, 0x2e))).toThrow(/protocol 9/);
  });

  it('enforces the depth, memo, value and size limits', () => {
    const deep = new Uint8Array(2 + 1 + 5000 + 1);
    deep.set([0x80, 4, 0x29]);
    deep.fill(0x85, 3, 3 + 5000); // 5000 nested TUPLE1
    deep[deep.length - 1] = 0x2e;
    expect(() => unpickle(deep)).toThrow(PickleLimitError);
    expect(unpickle(deep, { maxDepth: 10_000 })).toBeInstanceOf(PyTuple);

    const memo = Uint8Array.from([0x80, 4, 0x4e, ...new Array(100).fill(0x94), 0x2e]);
    expect(() => unpickle(memo, { maxMemoEntries: 50 })).toThrow(PickleLimitError);
    const values = Uint8Array.from([0x80, 4, 0x5d, ...new Array(200).fill([0x4e, 0x61]).flat(), 0x2e]);
    expect(unpickle(values)).toHaveLength(200);
    expect(() => unpickle(values, { maxValues: 100 })).toThrow(PickleLimitError);
    expect(() => unpickle(pickle('x'.repeat(1000)), { maxInputBytes: 500 })).toThrow(PickleLimitError);
    // APPEND on something that is not a list, and stack misuse.
    expect(() => unpickle(bytes(0x80, 4, 0x4e, 0x4e, 0x61, 0x2e))).toThrow(PickleDecodeError);
    expect(() => unpickle(bytes(0x80, 4, 0x30, 0x2e))).toThrow(PickleDecodeError);
    expect(() => unpickle(bytes(0x80, 4, 0x68, 7, 0x2e))).toThrow(/memo key 7/);
  });

  it('refuses to encode values without a Python form', () => {
    class Thing {}
    const deep: unknown[] = [];
    let cursor = deep;
    for (let i = 0; i < 2000; i++) {
      const next: unknown[] = [];
      cursor.push(next);
      cursor = next;
    }
    expect(() => pickle(() => 1)).toThrow(PickleEncodeError);
    expect(() => pickle(new Thing())).toThrow(PickleEncodeError);
    expect(() => pickle(Symbol('s'))).toThrow(PickleEncodeError);
    expect(() => pickle([new Date()])).toThrow(PickleEncodeError);
    expect(() => pickle(exc('os', 'system'))).toThrow(PickleEncodeError);
    expect(() => pickle(deep)).toThrow(PickleLimitError);
    for (const err of [PickleEncodeError, PickleLimitError, PickleForbiddenError]) {
      expect(new err('x')).toBeInstanceOf(PickleError);
      expect(new err('x').name).toBe(err.name);
    }
  });
});

describe('values', () => {
  it('gives Python-like messages for exceptions', () => {
    expect(exc('builtins', 'KeyError', 'k').message).toBe("'k'");
    expect(exc('builtins', 'ValueError', 'bad').message).toBe('bad');
    expect(exc('builtins', 'ValueError', 'bad', 2).message).toBe("('bad', 2)");
    expect(exc('_queue', 'Empty').message).toBe('');
  });
});
