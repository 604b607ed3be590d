/**
 * Python's equality, hashing and ordering over the JS forms of Python values,
 * for the SyncManager containers (a shared dict's keys, `x in list`,
 * `list.sort()`): `1 == 1.0 == True`, `(1, 2)` as a dict key, `b'a' ==
 * bytearray(b'a')`, and CPython's errors where it raises (`unhashable type:
 * 'list'`, `'<' not supported between instances of 'str' and 'int'`).
 * Opaque values compare by how they were pickled (two `Decimal`s are equal
 * when written the same way), the one approximation: peerproc cannot run
 * their `__eq__`.
 */
import { pyError } from '../python/exception.js';
import {
  PyByteArray,
  PyException,
  PyFloat,
  PyFrozenSet,
  PyGlobal,
  PyOpaque,
  PyToken,
  PyTuple,
  type PyValue,
  pyTypeName,
} from '../python/values.js';

/** The numeric value of a Python bool/int/float, or undefined for non-numbers. */
function numeric(value: PyValue): number | bigint | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof PyFloat) return value.value;
  return undefined;
}

function numbersEqual(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === typeof b) return a === b;
  // A bigint equals a number only when the number is an integer of the same value.
  const [big, num] = typeof a === 'bigint' ? [a, b as number] : [b as bigint, a as number];
  return Number.isInteger(num) && BigInt(num) === big;
}

let nextIdentity = 1;
const identities = new WeakMap<object, number>();
function identity(obj: object): number {
  let id = identities.get(obj);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(obj, id);
  }
  return id;
}

/** Python's `a == b`. */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  if (a === b) return true;
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined || nb !== undefined) return na !== undefined && nb !== undefined && numbersEqual(na, nb);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (a instanceof PyTuple && b instanceof PyTuple) return sequenceEquals(a.items, b.items);
  if (Array.isArray(a) && Array.isArray(b)) return sequenceEquals(a, b);
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    const index = new Map([...b].map(([k, v]) => [pyHashKey(k), v] as const));
    for (const [k, v] of a) {
      const key = pyHashKey(k);
      if (!index.has(key) || !pyEquals(v, index.get(key) as PyValue)) return false;
    }
    return true;
  }
  const sa = setItems(a);
  const sb = setItems(b);
  if (sa && sb) {
    if (sa.length !== sb.length) return false;
    const keys = new Set(sb.map(pyHashKey));
    return sa.every((item) => keys.has(pyHashKey(item)));
  }
  if (a instanceof PyGlobal && b instanceof PyGlobal) return a.qualname === b.qualname;
  if (a instanceof PyOpaque && b instanceof PyOpaque) return structure(a) === structure(b);
  return false;
}

function setItems(value: object): readonly PyValue[] | undefined {
  if (value instanceof Set) return [...value];
  if (value instanceof PyFrozenSet) return value.items;
  return undefined;
}

function sequenceEquals(a: readonly PyValue[], b: readonly PyValue[]): boolean {
  return a.length === b.length && a.every((x, i) => pyEquals(x, b[i] as PyValue));
}

/**
 * A string equal for values Python's hash-and-eq treats as the same key
 * (`1`, `1.0` and `True` alike); throws `TypeError: unhashable type` for
 * lists, dicts, sets and bytearrays, as CPython does.
 */
export function pyHashKey(value: PyValue): string {
  const n = numeric(value);
  if (n !== undefined) {
    if (typeof n === 'bigint') return `n${n}`;
    return Number.isInteger(n) ? `n${BigInt(n)}` : `f${n}`;
  }
  if (value === null) return 'N';
  if (typeof value === 'string') return `s${value}`;
  if (value instanceof Uint8Array && !(value instanceof PyByteArray)) return `b${[...value].join(',')}`;
  if (value instanceof PyTuple) return `t(${value.items.map(pyHashKey).join('|')})`;
  if (value instanceof PyFrozenSet) return `z{${value.items.map(pyHashKey).sort().join('|')}}`;
  if (value instanceof PyGlobal) return `g${value.qualname}`;
  if (value instanceof PyOpaque) return `o${structure(value)}`;
  if (value instanceof PyException || value instanceof PyToken) return `#${identity(value)}`;
  throw pyError('TypeError', `unhashable type: '${pyTypeName(value)}'`);
}

/** How an opaque value was pickled, as text: equal for equal pickles. */
function structure(value: PyValue): string {
  if (value instanceof PyOpaque) {
    const parts = [value.qualname, value.how, structure(value.args), value.kwargs ? structure(value.kwargs) : ''];
    parts.push(value.state === undefined ? '' : structure(value.state));
    parts.push(
      value.listItems.map(structure).join(','),
      value.dictItems.map(([k, v]) => `${structure(k)}:${structure(v)}`).join(','),
    );
    return `<${parts.join(';')}>`;
  }
  if (value instanceof PyTuple) return `(${value.items.map(structure).join(',')})`;
  if (Array.isArray(value)) return `[${value.map(structure).join(',')}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${structure(k)}:${structure(v)}`).join(',')}}`;
  if (value instanceof Set || value instanceof PyFrozenSet)
    return `set{${(setItems(value) ?? []).map(structure).sort().join(',')}}`;
  try {
    return pyHashKey(value);
  } catch {
    return `?${pyTypeName(value)}`;
  }
}

/** Python's `a < b` for sorting: numbers, str, bytes, and tuples/lists of them; TypeError otherwise. */
export function pyCompare(a: PyValue, b: PyValue): number {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) {
    if (numbersEqual(na, nb)) return 0;
    return na < nb ? -1 : 1;
  }
  if (typeof a === 'string' && typeof b === 'string') return a === b ? 0 : codePointLess(a, b) ? -1 : 1;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return sequenceCompare([...a], [...b]);
  if (a instanceof PyTuple && b instanceof PyTuple) return sequenceCompare(a.items, b.items);
  if (Array.isArray(a) && Array.isArray(b)) return sequenceCompare(a, b);
  throw pyError('TypeError', `'<' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
}

function codePointLess(a: string, b: string): boolean {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const cx = (x[i] as string).codePointAt(0) as number;
    const cy = (y[i] as string).codePointAt(0) as number;
    if (cx !== cy) return cx < cy;
  }
  return x.length < y.length;
}

function sequenceCompare(a: readonly PyValue[], b: readonly PyValue[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (pyEquals(a[i] as PyValue, b[i] as PyValue)) continue;
    return pyCompare(a[i] as PyValue, b[i] as PyValue);
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Python's truth value. */
export function pyTruthy(value: PyValue | undefined): boolean {
  if (value === null || value === undefined) return false;
  const n = numeric(value);
  if (n !== undefined) return n !== 0 && n !== 0n;
  if (typeof value === 'string') return value.length > 0;
  if (value instanceof Uint8Array || Array.isArray(value)) return value.length > 0;
  if (value instanceof PyTuple) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (value instanceof PyFrozenSet) return value.items.length > 0;
  return true;
}

/** Python's `operator.index()`: an int (bool included), else CPython's TypeError. */
export function pyIndex(value: PyValue, what = 'list indices'): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  throw pyError('TypeError', `${what} must be integers or slices, not ${pyTypeName(value)}`);
}
