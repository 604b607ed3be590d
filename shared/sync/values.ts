/**
 * SyncManager's `Namespace`, `Value` and `Array`, for CPython proxies
 * (NamespaceProxy, ValueProxy, ArrayProxy) and JS proxies.
 */

import { type PythonMethodTable, type PythonServed, pythonMethods } from '../python/call.js';
import { pyError } from '../python/exception.js';
import { PyFloat, PyGlobal, PyOpaque, type PyValue, pyRepr, pyTypeName } from '../python/values.js';
import { pyIndex } from './python-ops.js';
import { asSlice, iterate, position, sliceIndices, slicePositions } from './sequences.js';
import { methodTable } from './table.js';

function strRepr(text: string): string {
  return pyRepr(text);
}

/** `multiprocessing.managers.Namespace`: attributes set and read by name. */
export class SharedNamespace implements PythonServed {
  readonly #attributes = new Map<string, PyValue>();

  constructor(attributes: Record<string, PyValue> | Map<string, PyValue> = {}) {
    for (const [k, v] of attributes instanceof Map ? attributes : Object.entries(attributes))
      this.#attributes.set(k, v);
  }

  get(name: string): PyValue {
    if (!this.#attributes.has(name))
      throw pyError('AttributeError', `'Namespace' object has no attribute ${strRepr(name)}`);
    return this.#attributes.get(name) as PyValue;
  }

  set(name: string, value: PyValue): void {
    this.#attributes.set(String(name), value);
  }

  delete(name: string): void {
    if (!this.#attributes.delete(name)) {
      throw pyError('AttributeError', `'Namespace' object has no attribute ${strRepr(name)}`);
    }
  }

  /** The attributes, as a plain object. */
  toObject(): Record<string, PyValue> {
    return Object.fromEntries(this.#attributes);
  }

  #repr(): string {
    const shown = [...this.#attributes]
      .filter(([k]) => !k.startsWith('_'))
      .map(([k, v]) => `${k}=${pyRepr(v)}`)
      .sort();
    return `Namespace(${shown.join(', ')})`;
  }

  [pythonMethods](): PythonMethodTable {
    return methodTable(
      'multiprocessing.managers.Namespace',
      ['__getattribute__', '__setattr__', '__delattr__'],
      {
        __getattribute__: [['name'], ([name]) => this.get(String(name))],
        __setattr__: [['name', 'value'], ([name, value]) => this.set(String(name), value as PyValue)],
        __delattr__: [['name'], ([name]) => this.delete(String(name))],
      },
      { repr: () => this.#repr() },
    );
  }
}

/** `multiprocessing.managers.Value(typecode, value)`: a box; as in CPython, the typecode is not enforced. */
export class SharedValue implements PythonServed {
  readonly typecode: string;
  #value: PyValue;

  constructor(typecode: string, value: PyValue) {
    this.typecode = typecode;
    this.#value = value;
  }

  get(): PyValue {
    return this.#value;
  }

  set(value: PyValue): void {
    this.#value = value;
  }

  [pythonMethods](): PythonMethodTable {
    return methodTable(
      'multiprocessing.managers.Value',
      ['get', 'set'],
      { get: [[], () => this.get()], set: [['value'], ([value]) => this.set(value as PyValue)] },
      { repr: () => `Value(${strRepr(this.typecode)}, ${pyRepr(this.#value)})` },
    );
  }
}

/** array.array's item kinds (Linux x86-64 sizes): integer bounds, or float width; `mformat` as array pickles it. */
const TYPECODES: Readonly<
  Record<string, { min?: bigint; max?: bigint; float?: 32 | 64; mformat: number; bytes: number; name: string }>
> = {
  b: { min: -128n, max: 127n, mformat: 1, bytes: 1, name: 'signed char' },
  B: { min: 0n, max: 255n, mformat: 0, bytes: 1, name: 'unsigned byte integer' },
  h: { min: -32768n, max: 32767n, mformat: 4, bytes: 2, name: 'signed short integer' },
  H: { min: 0n, max: 65535n, mformat: 2, bytes: 2, name: 'unsigned short' },
  i: { min: -(2n ** 31n), max: 2n ** 31n - 1n, mformat: 8, bytes: 4, name: 'signed integer' },
  I: { min: 0n, max: 2n ** 32n - 1n, mformat: 6, bytes: 4, name: 'unsigned int' },
  l: { min: -(2n ** 63n), max: 2n ** 63n - 1n, mformat: 12, bytes: 8, name: 'signed long' },
  L: { min: 0n, max: 2n ** 64n - 1n, mformat: 10, bytes: 8, name: 'unsigned long' },
  q: { min: -(2n ** 63n), max: 2n ** 63n - 1n, mformat: 12, bytes: 8, name: 'signed long long' },
  Q: { min: 0n, max: 2n ** 64n - 1n, mformat: 10, bytes: 8, name: 'unsigned long long' },
  f: { float: 32, mformat: 14, bytes: 4, name: 'float' },
  d: { float: 64, mformat: 16, bytes: 8, name: 'double' },
};

/** `array.array(typecode, sequence)`, what SyncManager's `Array` serves: items checked and stored as the typecode says. */
export class SharedArray implements PythonServed {
  readonly typecode: string;
  readonly #kind: (typeof TYPECODES)[string];
  readonly #items: PyValue[];

  constructor(typecode: string, items: Iterable<PyValue> | PyValue = []) {
    const kind = TYPECODES[typecode];
    if (!kind) {
      throw pyError(
        'ValueError',
        `bad typecode (must be b, B, h, H, i, I, l, L, q, Q, f or d), got ${strRepr(String(typecode))}`,
      );
    }
    this.typecode = typecode;
    this.#kind = kind;
    const values = Array.isArray(items) ? items : iterate(items as PyValue);
    this.#items = values.map((v) => this.#coerce(v as PyValue));
  }

  get(index: number): PyValue {
    return this.#items[position(index, this.#items.length, 'array', 'array index out of range')] as PyValue;
  }

  set(index: number, value: PyValue): void {
    this.#items[position(index, this.#items.length, 'array', 'array assignment index out of range')] =
      this.#coerce(value);
  }

  length(): number {
    return this.#items.length;
  }

  toArray(): PyValue[] {
    return [...this.#items];
  }

  /** An item as the typecode stores it: ints in range, floats (rounded to 32 bits for 'f'). */
  #coerce(value: PyValue): PyValue {
    const kind = this.#kind;
    const n = value instanceof PyFloat ? value.value : value;
    if (kind.float) {
      if (typeof n !== 'number' && typeof n !== 'bigint' && typeof n !== 'boolean') {
        throw pyError('TypeError', `must be real number, not ${pyTypeName(value)}`);
      }
      const x = kind.float === 32 ? Math.fround(Number(n)) : Number(n);
      return Number.isSafeInteger(x) ? new PyFloat(x) : x;
    }
    if (typeof n === 'boolean') return n ? 1 : 0;
    if ((typeof n !== 'number' || !Number.isSafeInteger(n) || value instanceof PyFloat) && typeof n !== 'bigint') {
      throw pyError('TypeError', `'${pyTypeName(value)}' object cannot be interpreted as an integer`);
    }
    const big = BigInt(n);
    if (big > (kind.max as bigint)) throw pyError('OverflowError', `${kind.name} is greater than maximum`);
    if (big < (kind.min as bigint)) throw pyError('OverflowError', `${kind.name} is less than minimum`);
    return n;
  }

  /** What CPython pickles an array as: `array._array_reconstructor(array.array, typecode, mformat, bytes)`. */
  #pickled(items: PyValue[]): PyOpaque {
    const kind = this.#kind;
    const bytes = new Uint8Array(items.length * kind.bytes);
    const view = new DataView(bytes.buffer);
    items.forEach((item, i) => {
      const at = i * kind.bytes;
      const x = item instanceof PyFloat ? item.value : item;
      if (kind.float === 32) view.setFloat32(at, Number(x), true);
      else if (kind.float === 64) view.setFloat64(at, Number(x), true);
      else if (kind.bytes === 8) view.setBigUint64(at, BigInt.asUintN(64, BigInt(x as number)), true);
      else {
        const v = Number(x);
        const unsigned = v < 0 ? v + 2 ** (8 * kind.bytes) : v;
        for (let b = 0; b < kind.bytes; b++) bytes[at + b] = Math.floor(unsigned / 2 ** (8 * b)) & 0xff;
      }
    });
    return new PyOpaque('array', '_array_reconstructor', 'call', [
      new PyGlobal('array', 'array'),
      this.typecode,
      kind.mformat,
      bytes,
    ]);
  }

  #repr(): string {
    return this.#items.length === 0
      ? `array(${strRepr(this.typecode)})`
      : `array(${strRepr(this.typecode)}, ${pyRepr(this.#items)})`;
  }

  [pythonMethods](): PythonMethodTable {
    return methodTable(
      'array.array',
      ['__len__', '__getitem__', '__setitem__'],
      {
        __len__: [[], () => this.length()],
        __getitem__: [
          ['index'],
          ([index]) => {
            const slice = asSlice(index as PyValue);
            if (!slice) return this.get(pyIndex(index as PyValue, 'array'));
            return this.#pickled(
              slicePositions(sliceIndices(slice, this.#items.length)).map((i) => this.#items[i] as PyValue),
            );
          },
        ],
        __setitem__: [
          ['index', 'value'],
          ([index, value]) => {
            if (asSlice(index as PyValue)) {
              throw pyError(
                'TypeError',
                'slice assignment to a shared array is not supported by peerproc: assign items one by one',
              );
            }
            this.set(pyIndex(index as PyValue, 'array'), value as PyValue);
          },
        ],
      },
      { value: () => this.#pickled(this.#items), repr: () => this.#repr() },
    );
  }
}
