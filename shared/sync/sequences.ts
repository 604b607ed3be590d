/**
 * Python sequence indexing over JS arrays, for the shared list and array:
 * negative indices, `slice(start, stop, step)` (which arrives as an opaque
 * `builtins.slice` value), and CPython's IndexError texts.
 */
import { pyError } from '../python/exception.js';
import { PyFrozenSet, PyOpaque, PyTuple, type PyValue, pyTypeName } from '../python/values.js';

export interface Slice {
  start: number;
  stop: number;
  step: number;
}

/** The `builtins.slice(start, stop, step)` a Python `l[1:3]` sends, or undefined. */
export function asSlice(value: PyValue): PyOpaque | undefined {
  return value instanceof PyOpaque && value.qualname === 'builtins.slice' && value.how === 'call' ? value : undefined;
}

function sliceBound(value: PyValue | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw pyError('TypeError', 'slice indices must be integers or None or have an __index__ method');
}

/** Python's `slice.indices(length)`. */
export function sliceIndices(slice: PyOpaque, length: number): Slice {
  const [a, b, c] = slice.args.items;
  const step = sliceBound(c) ?? 1;
  if (step === 0) throw pyError('ValueError', 'slice step cannot be zero');
  const clamp = (v: number | null, fallback: number, low: number, high: number): number => {
    if (v === null) return fallback;
    const x = v < 0 ? v + length : v;
    return Math.min(Math.max(x, low), high);
  };
  return step > 0
    ? { start: clamp(sliceBound(a), 0, 0, length), stop: clamp(sliceBound(b), length, 0, length), step }
    : { start: clamp(sliceBound(a), length - 1, -1, length - 1), stop: clamp(sliceBound(b), -1, -1, length - 1), step };
}

/** The positions a slice covers, in order. */
export function slicePositions(slice: Slice): number[] {
  const out: number[] = [];
  const { start, stop, step } = slice;
  const count = step > 0 ? Math.ceil((stop - start) / step) : Math.ceil((start - stop) / -step);
  for (let k = 0; k < count; k++) out.push(start + k * step);
  return out;
}

/** An index in range, negative counting from the end; IndexError `message` otherwise. */
export function position(index: PyValue, length: number, kind: string, message: string): number {
  if (typeof index !== 'number' && typeof index !== 'bigint' && typeof index !== 'boolean') {
    throw pyError('TypeError', `${kind} indices must be integers or slices, not ${pyTypeName(index)}`);
  }
  const i = Number(index);
  const at = i < 0 ? i + length : i;
  if (at < 0 || at >= length) throw pyError('IndexError', message);
  return at;
}

/** The items of a Python iterable as it arrives here (list, tuple, set, dict keys, str characters, bytes). */
export function iterate(value: PyValue): PyValue[] {
  if (Array.isArray(value)) return [...value];
  if (typeof value === 'string') return [...value];
  if (value instanceof Uint8Array) return [...value];
  if (value instanceof Map) return [...value.keys()];
  if (value instanceof Set) return [...value];
  if (value instanceof PyTuple || value instanceof PyFrozenSet) return [...value.items];
  if (value instanceof PyOpaque && value.qualname === 'builtins.range' && value.how === 'call') {
    const [start, stop, step] = value.args.items.map(Number) as [number, number, number];
    return slicePositions({ start, stop, step });
  }
  throw pyError('TypeError', `'${pyTypeName(value)}' object is not iterable`);
}
