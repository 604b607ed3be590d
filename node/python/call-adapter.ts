/**
 * Python call shapes onto our objects. A Python proxy calls
 * `get(block=True, timeout=None)` / `put(item, block=True, timeout=None)`
 * with positional or keyword arguments and snake_case names (`get_nowait`,
 * `task_done`); our queues take `get({ block, timeout, signal })` and
 * camelCase names. Queue-like objects get a faithful adapter (Python's
 * signatures, argument errors and timeout checks); other objects get their
 * exposed methods under snake_case names, called with the positional
 * arguments plus, when keywords were given, one trailing options object.
 */

import type { PyValue } from '../../shared/pickle/index.js';
import type { BlockingOptions } from '../../shared/queue.js';
import { exposedFunction, exposedMethods, type TypeRegistration } from '../../shared/registry.js';

/** Python's `TypeError` for a call that does not match the signature (mapped to `builtins.TypeError`). */
class PythonTypeError extends TypeError {
  override name = 'TypeError';
}

/** Python's `ValueError` (e.g. a negative timeout). */
class PythonValueError extends Error {
  override name = 'ValueError';
}

export interface CallResult {
  value: unknown;
  /** Gives a taken item back when the reply could not be delivered (the caller died meanwhile). */
  undo?: () => void;
}

export interface PythonBinding {
  /** Method names as Python sees them (the `exposed` tuple sent to proxies). */
  readonly exposed: readonly string[];
  /** Our method name for a Python one, to look up `methodToTypeid`. */
  jsName(pythonName: string): string;
  call(
    method: string,
    args: readonly PyValue[],
    kwds: ReadonlyMap<string, PyValue>,
    signal: AbortSignal,
  ): Promise<CallResult>;
}

/** `getNowait` -> `get_nowait`; names already in snake_case are unchanged. */
export function toSnakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The queue interface we adapt: our `Queue`, and anything shaped like it (e.g. a proxy to a Python queue). */
export interface QueueLike {
  get(options?: BlockingOptions): Promise<unknown>;
  put(item: unknown, options?: BlockingOptions): Promise<void>;
  getNowait(): unknown;
  putNowait(item: unknown): unknown;
  qsize(): unknown;
  empty?(): unknown;
  full?(): unknown;
  taskDone?(): unknown;
  join?(): unknown;
  requeue?(item: unknown): void;
}

export function isQueueLike(obj: object): obj is QueueLike {
  const o = obj as Record<string, unknown>;
  return ['get', 'put', 'getNowait', 'putNowait', 'qsize'].every((m) => typeof o[m] === 'function');
}

/** Python's truth value of a decoded argument. */
export function pyTruthy(value: PyValue | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string') return value.length > 0;
  if (value instanceof Uint8Array || Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  return true;
}

interface Param {
  name: string;
  default?: PyValue;
}

/** Binds positional and keyword arguments to a Python signature, raising Python's TypeErrors. */
export function bindArgs(
  fname: string,
  params: readonly Param[],
  args: readonly PyValue[],
  kwds: ReadonlyMap<string, PyValue>,
): PyValue[] {
  if (args.length > params.length) {
    throw new PythonTypeError(`${fname}() takes at most ${params.length} positional arguments (${args.length} given)`);
  }
  const bound: Array<PyValue | undefined> = [...args];
  for (const [key, value] of kwds) {
    const index = params.findIndex((p) => p.name === key);
    if (index < 0) throw new PythonTypeError(`${fname}() got an unexpected keyword argument '${key}'`);
    if (index < args.length) throw new PythonTypeError(`${fname}() got multiple values for argument '${key}'`);
    bound[index] = value;
  }
  return params.map((param, i) => {
    const value = bound[i];
    if (value !== undefined) return value;
    if (!('default' in param)) throw new PythonTypeError(`${fname}() missing required argument: '${param.name}'`);
    return param.default as PyValue;
  });
}

/** Python's timeout rules: None waits forever, numbers must be >= 0. */
function toTimeout(value: PyValue): number | null {
  if (value === null) return null;
  const seconds = typeof value === 'bigint' ? Number(value) : value;
  if (typeof seconds !== 'number') throw new PythonTypeError("'timeout' must be a number or None");
  if (!(seconds >= 0)) throw new PythonValueError("'timeout' must be a non-negative number");
  return seconds;
}

function blocking(block: PyValue, timeout: PyValue, signal: AbortSignal): BlockingOptions {
  // As in Python, a non-blocking call ignores its timeout.
  return pyTruthy(block) ? { block: true, timeout: toTimeout(timeout), signal } : { block: false, signal };
}

/** A method without parameters (after checking that none were passed). */
const noArgs =
  (name: string, run: (queue: QueueLike) => unknown): QueueMethod =>
  async (queue, args, kwds) => {
    bindArgs(name, [], args, kwds);
    return { value: await run(queue) };
  };

type QueueMethod = (
  queue: QueueLike,
  args: readonly PyValue[],
  kwds: ReadonlyMap<string, PyValue>,
  signal: AbortSignal,
) => Promise<CallResult>;

const undoFor = (queue: QueueLike, item: unknown): (() => void) | undefined =>
  typeof queue.requeue === 'function' ? () => queue.requeue?.(item) : undefined;

/** queue.Queue's methods with Python's signatures, in the order `dir()` lists them. */
const QUEUE_METHODS: ReadonlyMap<string, { needs?: keyof QueueLike; call: QueueMethod }> = new Map<
  string,
  { needs?: keyof QueueLike; call: QueueMethod }
>([
  ['empty', { needs: 'empty', call: noArgs('empty', (q) => q.empty?.()) }],
  ['full', { needs: 'full', call: noArgs('full', (q) => q.full?.()) }],
  [
    'get',
    {
      call: async (q, a, k, signal) => {
        const [block, timeout] = bindArgs(
          'get',
          [
            { name: 'block', default: true },
            { name: 'timeout', default: null },
          ],
          a,
          k,
        );
        const item = await q.get(blocking(block as PyValue, timeout as PyValue, signal));
        return { value: item, undo: undoFor(q, item) };
      },
    },
  ],
  [
    'get_nowait',
    {
      call: async (q, a, k) => {
        bindArgs('get_nowait', [], a, k);
        const item = await q.getNowait();
        return { value: item, undo: undoFor(q, item) };
      },
    },
  ],
  ['join', { needs: 'join', call: noArgs('join', (q) => q.join?.()) }],
  [
    'put',
    {
      call: async (q, a, k, signal) => {
        const [item, block, timeout] = bindArgs(
          'put',
          [{ name: 'item' }, { name: 'block', default: true }, { name: 'timeout', default: null }],
          a,
          k,
        );
        await q.put(item, blocking(block as PyValue, timeout as PyValue, signal));
        return { value: null };
      },
    },
  ],
  [
    'put_nowait',
    {
      call: async (q, a, k) => {
        const [item] = bindArgs('put_nowait', [{ name: 'item' }], a, k);
        await q.putNowait(item);
        return { value: null };
      },
    },
  ],
  ['qsize', { call: noArgs('qsize', (q) => q.qsize()) }],
  ['task_done', { needs: 'taskDone', call: noArgs('task_done', (q) => q.taskDone?.()) }],
]);

function bindQueue(queue: QueueLike, registration: TypeRegistration): PythonBinding {
  const supported = [...QUEUE_METHODS]
    .filter(([, m]) => !m.needs || typeof queue[m.needs] === 'function')
    .map(([n]) => n);
  const wanted = registration.exposed?.map(toSnakeCase);
  const exposed = wanted ? supported.filter((n) => wanted.includes(n)) : supported;
  const names = new Map(exposed.map((n) => [n, n.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())]));
  return {
    exposed,
    jsName: (name) => names.get(name) ?? name,
    call: (method, args, kwds, signal) => {
      const entry = exposed.includes(method) ? QUEUE_METHODS.get(method) : undefined;
      if (!entry) throw new PythonTypeError(`queue method '${method}' is not exposed`);
      return entry.call(queue, args, kwds, signal);
    },
  };
}

function bindGeneric(obj: object, typeid: string, registration: TypeRegistration): PythonBinding {
  // As CPython does, methods that return proxies are exposed even if `exposed` omits them.
  const jsNames = [
    ...new Set([...exposedMethods(obj, registration), ...Object.keys(registration.methodToTypeid ?? {})]),
  ];
  const names = new Map(jsNames.map((n) => [toSnakeCase(n), n]));
  const exposed = [...names.keys()];
  return {
    exposed,
    jsName: (name) => names.get(name) ?? name,
    call: async (method, args, kwds) => {
      const fn = exposedFunction(obj, typeid, jsNames, names.get(method) ?? method);
      const options = kwds.size > 0 ? [Object.fromEntries(kwds)] : [];
      return { value: await fn.apply(obj, [...args, ...options]) };
    },
  };
}

/** How Python callers reach `obj`, served under `typeid` with `registration`. */
export function bindObject(obj: object, typeid: string, registration: TypeRegistration): PythonBinding {
  return isQueueLike(obj) ? bindQueue(obj, registration) : bindGeneric(obj, typeid, registration);
}
