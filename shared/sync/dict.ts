/**
 * SyncManager's `dict`: a Python dict held by the manager, for CPython's
 * DictProxy (`d['k'] = v`, `d.get('k')`, `for k in d`, `len(d)`...) and for
 * JS proxies (`await d.set('k', v)`, `await d.get('k')`). Keys follow
 * Python's hashing (`1`, `1.0` and `True` are one key; tuples are keys) and
 * insertion order.
 */

import { type PythonMethodTable, type PythonServed, pythonMethods } from '../python/call.js';
import { pyError } from '../python/exception.js';
import { PyTuple, type PyValue, pyRepr } from '../python/values.js';
import { SharedIterator } from './iterator.js';
import { pyHashKey } from './python-ops.js';
import { iterate } from './sequences.js';
import { methodTable } from './table.js';

/** What a dict can be built or updated from: a Map, a plain object, or [key, value] pairs. */
export type DictSource =
  | Map<PyValue, PyValue>
  | Record<string, PyValue>
  | ReadonlyArray<readonly [PyValue, PyValue] | PyTuple>;

const DICT_EXPOSED = [
  '__contains__',
  '__delitem__',
  '__getitem__',
  '__iter__',
  '__len__',
  '__setitem__',
  'clear',
  'copy',
  'get',
  'items',
  'keys',
  'pop',
  'popitem',
  'setdefault',
  'update',
  'values',
];

function entriesOf(source: DictSource | PyValue): Array<[PyValue, PyValue]> {
  if (source instanceof Map) return [...source];
  if (Array.isArray(source) || source instanceof PyTuple) {
    return iterate(source as PyValue).map((pair, i) => {
      const items = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : undefined;
      if (items?.length !== 2) {
        throw pyError(
          'ValueError',
          `dictionary update sequence element #${i} has length ${items?.length ?? 1}; 2 is required`,
        );
      }
      return [items[0] as PyValue, items[1] as PyValue];
    });
  }
  if (source !== null && typeof source === 'object' && Object.getPrototypeOf(source) === Object.prototype) {
    return Object.entries(source as Record<string, PyValue>);
  }
  throw pyError('TypeError', `'${pyRepr(source as PyValue)}' object is not iterable`);
}

export class SharedDict implements PythonServed {
  readonly #entries = new Map<string, [PyValue, PyValue]>();

  constructor(source?: DictSource, extra?: Record<string, PyValue>) {
    if (source !== undefined) this.update(source);
    if (extra) this.update(extra);
  }

  /** The value for `key`, or `fallback` (default null: Python's None) when absent. */
  get(key: PyValue, fallback: PyValue = null): PyValue {
    const entry = this.#entries.get(pyHashKey(key));
    return entry ? entry[1] : fallback;
  }

  set(key: PyValue, value: PyValue): void {
    const hash = pyHashKey(key);
    const existing = this.#entries.get(hash);
    // As in Python, the first key object stays (d[1.0] = x on a dict with key 1 keeps 1).
    this.#entries.set(hash, [existing ? existing[0] : key, value]);
  }

  has(key: PyValue): boolean {
    return this.#entries.has(pyHashKey(key));
  }

  /** Removes `key`; true if it was there. */
  delete(key: PyValue): boolean {
    return this.#entries.delete(pyHashKey(key));
  }

  size(): number {
    return this.#entries.size;
  }

  keys(): PyValue[] {
    return [...this.#entries.values()].map(([k]) => k);
  }

  values(): PyValue[] {
    return [...this.#entries.values()].map(([, v]) => v);
  }

  /** `[key, value]` pairs, in insertion order. */
  items(): Array<[PyValue, PyValue]> {
    return [...this.#entries.values()].map(([k, v]) => [k, v]);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Removes and returns the value for `key`; `fallback` if absent, or KeyError without one. */
  pop(key: PyValue, ...fallback: PyValue[]): PyValue {
    const hash = pyHashKey(key);
    const entry = this.#entries.get(hash);
    if (!entry) {
      if (fallback.length > 0) return fallback[0] as PyValue;
      throw pyError('KeyError', key);
    }
    this.#entries.delete(hash);
    return entry[1];
  }

  /** Removes and returns the last inserted pair. */
  popitem(): [PyValue, PyValue] {
    const last = [...this.#entries.keys()].pop();
    if (last === undefined) throw pyError('KeyError', 'popitem(): dictionary is empty');
    const entry = this.#entries.get(last) as [PyValue, PyValue];
    this.#entries.delete(last);
    return entry;
  }

  setdefault(key: PyValue, fallback: PyValue = null): PyValue {
    const hash = pyHashKey(key);
    const entry = this.#entries.get(hash);
    if (entry) return entry[1];
    this.#entries.set(hash, [key, fallback]);
    return fallback;
  }

  update(source: DictSource, extra?: Record<string, PyValue>): void {
    for (const [k, v] of entriesOf(source)) this.set(k, v);
    if (extra) for (const [k, v] of Object.entries(extra)) this.set(k, v);
  }

  /** A copy, as a Map (what Python's `d.copy()` returns through a proxy: a plain dict). */
  copy(): Map<PyValue, PyValue> {
    return new Map(this.items());
  }

  #item(key: PyValue): PyValue {
    const entry = this.#entries.get(pyHashKey(key));
    if (!entry) throw pyError('KeyError', key);
    return entry[1];
  }

  [pythonMethods](): PythonMethodTable {
    return methodTable(
      'dict',
      DICT_EXPOSED,
      {
        __contains__: [['key'], ([key]) => this.has(key as PyValue)],
        __delitem__: [
          ['key'],
          ([key]) => {
            if (!this.delete(key as PyValue)) throw pyError('KeyError', key as PyValue);
          },
        ],
        __getitem__: [['key'], ([key]) => this.#item(key as PyValue)],
        __iter__: [[], () => new SharedIterator(this.keys())],
        __len__: [[], () => this.size()],
        __setitem__: [['key', 'value'], ([key, value]) => this.set(key as PyValue, value as PyValue)],
        clear: [[], () => this.clear()],
        copy: [[], () => this.copy()],
        get: [['key', ['default', null]], ([key, fallback]) => this.get(key as PyValue, fallback as PyValue)],
        // Through a proxy, dict views arrive as lists (multiprocessing pickles them so).
        items: [[], () => this.items().map(([k, v]) => new PyTuple([k, v]))],
        keys: [[], () => this.keys()],
        pop: [['key', '*args'], ([key, rest]) => this.pop(key as PyValue, ...(rest as PyValue[]))],
        popitem: [[], () => new PyTuple(this.popitem())],
        setdefault: [
          ['key', ['default', null]],
          ([key, fallback]) => this.setdefault(key as PyValue, fallback as PyValue),
        ],
        update: [
          ['*args', '**kwargs'],
          ([args, kwargs]) => {
            const positional = args as PyValue[];
            if (positional.length > 1)
              throw pyError('TypeError', `update expected at most 1 argument, got ${positional.length}`);
            if (positional.length === 1) this.update(positional[0] as DictSource);
            for (const [k, v] of kwargs as Map<string, PyValue>) this.set(k, v);
          },
        ],
        values: [[], () => this.values()],
      },
      {
        methodToTypeid: { __iter__: 'Iterator' },
        value: () => this.copy(),
        repr: () => pyRepr(this.copy()),
      },
    );
  }
}
