/**
 * How a served JS object declares its Python face, for CPython callers (the
 * `--python-listen` server in node/python) and for JS proxies alike.
 *
 * - `pythonParams(fn, ['a', ['b', 0], '*args', '**kwargs'])` declares how a
 *   method (or a registration's callable) takes Python arguments: names for
 *   keywords, defaults, and where extra positional (`*args`, spread) and
 *   keyword arguments (`**kwargs`, one trailing plain object) go. Without it,
 *   a Python caller's keyword arguments are refused with CPython's own
 *   `TypeError` wording.
 * - `[pythonMethods]()` gives a whole table of Python methods with CPython's
 *   names and exposure (what the SyncManager types in shared/sync/ do, so a
 *   CPython `DictProxy` can call `__getitem__` on a JS object).
 */

import type { RemoteCallContext } from '../rpc/served.js';
import type { PyValue } from './values.js';

/** A parameter: `'name'` (required), `['name', default]`, `'*args'` or `'**kwargs'`. */
export type PythonParam = string | readonly [name: string, defaultValue: PyValue];

export const pythonSignature: unique symbol = Symbol.for('peerproc.pythonSignature');

export interface PythonNaming {
  /**
   * The name CPython's messages give the function: a factory standing for a
   * Python class is `Value.__init__` (and counts `self`: set `method`).
   */
  qualname?: string;
  method?: boolean;
}

export interface DeclaredSignature extends PythonNaming {
  params: readonly PythonParam[];
}

/** Declares `fn`'s Python signature (see above); returns `fn`. */
export function pythonParams<F extends (...args: never[]) => unknown>(
  fn: F,
  params: readonly PythonParam[],
  naming: PythonNaming = {},
): F {
  Object.defineProperty(fn, pythonSignature, { value: { params, ...naming }, configurable: true });
  return fn;
}

export function declaredSignature(fn: unknown): DeclaredSignature | undefined {
  return typeof fn === 'function'
    ? (fn as unknown as { [pythonSignature]?: DeclaredSignature })[pythonSignature]
    : undefined;
}

/** One Python method of a table: its parameters and what it does with the bound arguments. */
export interface PythonMethod {
  readonly params: readonly PythonParam[];
  /** Receives one value per parameter (`*args` as an array, `**kwargs` as a Map), and the caller's context. */
  call(bound: PyValue[], context: RemoteCallContext | undefined): unknown;
}

export interface PythonMethodTable {
  /** The Python class, for messages (`dict`, `_thread.lock`, `queue.Queue`). */
  readonly className: string;
  /** Method names a proxy may call, in CPython's order (its proxy type's `_exposed_`). */
  readonly exposed: readonly string[];
  readonly methods: Readonly<Record<string, PythonMethod>>;
  /** Methods whose result is served as a new object of that typeid (a dict's `__iter__` -> `Iterator`). */
  readonly methodToTypeid?: Readonly<Record<string, string>>;
  /** `#GETVALUE` (a proxy's `_getvalue()`, `copy.copy(proxy)`): the value itself. */
  value?(): PyValue;
  /** `repr(obj)`, what `str(proxy)` shows. */
  repr?(): string;
}

export const pythonMethods: unique symbol = Symbol.for('peerproc.pythonMethods');

export interface PythonServed {
  [pythonMethods](): PythonMethodTable;
}

export function hasPythonMethods(obj: object): obj is PythonServed {
  return typeof (obj as Partial<PythonServed>)[pythonMethods] === 'function';
}
