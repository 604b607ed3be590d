/**
 * SyncManager's `list`: a Python list held by the manager, for CPython's
 * ListProxy (`l.append(x)`, `l[0]`, `l[1:3]`, `l += [...]`, `l.sort()`...)
 * and JS proxies (`await l.append(x)`, `await l.get(0)`). Equality is
 * Python's (`1 == 1.0`), and so is ordering for `sort`; a `key=` function
 * would be Python code, which peerproc never runs.
 */

import { type PythonMethodTable, type PythonServed, pythonMethods } from '../python/call.js';
import { pyError } from '../python/exception.js';
import { type PyValue, pyRepr, pyTypeName } from '../python/values.js';
import { pyCompare, pyEquals, pyIndex, pyTruthy } from './python-ops.js';
import { asSlice, iterate, position, sliceIndices, slicePositions } from './sequences.js';
import { methodTable } from './table.js';

const LIST_EXPOSED = [
  '__add__',
  '__contains__',
  '__delitem__',
  '__getitem__',
  '__len__',
  '__mul__',
  '__reversed__',
  '__rmul__',
  '__setitem__',
  'append',
  'count',
  'extend',
  'index',
  'insert',
  'pop',
  'remove',
  'reverse',
  'sort',
  '__imul__',
];

export interface SortOptions {
  reverse?: boolean;
}

export class SharedList implements PythonServed {
  #items: PyValue[];

  constructor(items: Iterable<PyValue> | PyValue = []) {
    this.#items = Array.isArray(items) ? [...items] : iterate(items as PyValue);
  }

  /** The item at `index` (negative counts from the end). */
  get(index: number): PyValue {
    return this.#items[position(index, this.#items.length, 'list', 'list index out of range')] as PyValue;
  }

  set(index: number, value: PyValue): void {
    this.#items[position(index, this.#items.length, 'list', 'list assignment index out of range')] = value;
  }

  /** Removes the item at `index`. */
  delete(index: number): void {
    this.#items.splice(position(index, this.#items.length, 'list', 'list assignment index out of range'), 1);
  }

  length(): number {
    return this.#items.length;
  }

  includes(value: PyValue): boolean {
    return this.#items.some((item) => pyEquals(item, value));
  }

  append(value: PyValue): void {
    this.#items.push(value);
  }

  extend(values: Iterable<PyValue> | PyValue): void {
    this.#items.push(...(Array.isArray(values) ? values : iterate(values as PyValue)));
  }

  insert(index: number, value: PyValue): void {
    const n = this.#items.length;
    const i = index < 0 ? Math.max(0, index + n) : Math.min(index, n);
    this.#items.splice(i, 0, value);
  }

  /** Removes and returns the item at `index` (default the last). */
  pop(index = -1): PyValue {
    if (this.#items.length === 0) throw pyError('IndexError', 'pop from empty list');
    const at = position(index, this.#items.length, 'list', 'pop index out of range');
    return this.#items.splice(at, 1)[0] as PyValue;
  }

  /** Removes the first item equal to `value`. */
  remove(value: PyValue): void {
    const at = this.#items.findIndex((item) => pyEquals(item, value));
    if (at < 0) throw pyError('ValueError', 'list.remove(x): x not in list');
    this.#items.splice(at, 1);
  }

  index(value: PyValue, start = 0, stop = Number.MAX_SAFE_INTEGER): number {
    const n = this.#items.length;
    const from = start < 0 ? Math.max(0, start + n) : start;
    const to = stop < 0 ? Math.max(0, stop + n) : Math.min(stop, n);
    for (let i = from; i < to; i++) if (pyEquals(this.#items[i] as PyValue, value)) return i;
    throw pyError('ValueError', `${pyRepr(value)} is not in list`);
  }

  count(value: PyValue): number {
    return this.#items.filter((item) => pyEquals(item, value)).length;
  }

  reverse(): void {
    this.#items.reverse();
  }

  /** Sorts in place with Python's ordering (stable; TypeError for items Python cannot compare). */
  sort(options: SortOptions = {}): void {
    // Array.prototype.sort is stable; reversed comparisons keep equal items in order, as Python does.
    this.#items = [...this.#items].sort(options.reverse ? (a, b) => pyCompare(b, a) : pyCompare);
  }

  /** A copy of the items. */
  toArray(): PyValue[] {
    return [...this.#items];
  }

  #getitem(index: PyValue): PyValue {
    const slice = asSlice(index);
    if (!slice) return this.get(pyIndex(index));
    return slicePositions(sliceIndices(slice, this.#items.length)).map((i) => this.#items[i] as PyValue);
  }

  #setitem(index: PyValue, value: PyValue): void {
    const slice = asSlice(index);
    if (!slice) {
      this.set(pyIndex(index), value);
      return;
    }
    const range = sliceIndices(slice, this.#items.length);
    const values = iterate(value);
    if (range.step === 1) {
      this.#items.splice(range.start, Math.max(0, range.stop - range.start), ...values);
      return;
    }
    const positions = slicePositions(range);
    if (positions.length !== values.length) {
      throw pyError(
        'ValueError',
        `attempt to assign sequence of size ${values.length} to extended slice of size ${positions.length}`,
      );
    }
    positions.forEach((p, i) => {
      this.#items[p] = values[i] as PyValue;
    });
  }

  #delitem(index: PyValue): void {
    const slice = asSlice(index);
    if (!slice) {
      this.delete(pyIndex(index));
      return;
    }
    const drop = new Set(slicePositions(sliceIndices(slice, this.#items.length)));
    this.#items = this.#items.filter((_, i) => !drop.has(i));
  }

  #times(n: PyValue): PyValue[] {
    if (typeof n !== 'number' && typeof n !== 'bigint' && typeof n !== 'boolean') {
      throw pyError('TypeError', `can't multiply sequence by non-int of type '${pyTypeName(n)}'`);
    }
    const out: PyValue[] = [];
    for (let i = 0; i < Number(n); i++) out.push(...this.#items);
    return out;
  }

  [pythonMethods](): PythonMethodTable {
    return methodTable(
      'list',
      LIST_EXPOSED,
      {
        __add__: [
          ['other'],
          ([other]) => {
            if (!Array.isArray(other)) {
              throw pyError('TypeError', `can only concatenate list (not "${pyTypeName(other as PyValue)}") to list`);
            }
            return [...this.#items, ...other];
          },
        ],
        __contains__: [['value'], ([value]) => this.includes(value as PyValue)],
        __delitem__: [['index'], ([index]) => this.#delitem(index as PyValue)],
        __getitem__: [['index'], ([index]) => this.#getitem(index as PyValue)],
        __len__: [[], () => this.length()],
        __mul__: [['n'], ([n]) => this.#times(n as PyValue)],
        __rmul__: [['n'], ([n]) => this.#times(n as PyValue)],
        __imul__: [
          ['n'],
          ([n]) => {
            this.#items = this.#times(n as PyValue);
            return this.toArray();
          },
        ],
        // A list iterator would pickle as a call of builtins.reversed: the reversed items are sent instead.
        __reversed__: [[], () => [...this.#items].reverse()],
        __setitem__: [['index', 'value'], ([index, value]) => this.#setitem(index as PyValue, value as PyValue)],
        append: [['object'], ([value]) => this.append(value as PyValue)],
        count: [['value'], ([value]) => this.count(value as PyValue)],
        extend: [['iterable'], ([values]) => this.extend(values as PyValue)],
        index: [
          ['value', ['start', 0], ['stop', Number.MAX_SAFE_INTEGER]],
          ([value, start, stop]) => this.index(value as PyValue, Number(start), Number(stop)),
        ],
        insert: [['index', 'object'], ([index, value]) => this.insert(pyIndex(index as PyValue), value as PyValue)],
        pop: [[['index', -1]], ([index]) => this.pop(pyIndex(index as PyValue))],
        remove: [['value'], ([value]) => this.remove(value as PyValue)],
        reverse: [[], () => this.reverse()],
        sort: [
          [
            ['key', null],
            ['reverse', false],
          ],
          ([key, reverse]) => {
            if (key !== null) {
              throw pyError('TypeError', 'sort(key=...) needs Python code, which a peerproc manager never runs');
            }
            this.sort({ reverse: pyTruthy(reverse as PyValue) });
          },
        ],
      },
      { value: () => this.toArray(), repr: () => pyRepr(this.toArray()) },
    );
  }
}
