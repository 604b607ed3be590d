/**
 * Python call shapes onto our objects. A Python proxy calls
 * `get(block=True, timeout=None)` / `put(item, block=True, timeout=None)`
 * with positional or keyword arguments and snake_case names (`get_nowait`,
 * `task_done`); our queues take `get({ block, timeout, signal })` and
 * camelCase names. Queue-like objects get a faithful adapter (Python's
 * signatures, CPython's argument errors and timeout checks, 3.13's
 * `shutdown`); objects with a `[pythonMethods]` table (the SyncManager types)
 * are called through it with CPython's names; other objects get their
 * exposed methods under snake_case names, called as calling.ts says
 * (keyword arguments only where declared with `pythonParams`).
 *
 * Our own queues (anything with `[remoteCall]`) are called through it, the
 * code path WebRTC peers take: the caller's connection signal cancels its
 * waits, items it takes are leased to the connection's `LeaseLedger`, its
 * `put` and `task_done` acknowledge them, and an item taken for a caller
 * that is already gone goes back to the head of the queue.
 */

import { hasPythonMethods, type PythonMethodTable, pythonMethods } from '../../shared/python/call.js';
import type { BlockingOptions } from '../../shared/queue/queue.js';
import type { AbortLike } from '../../shared/queue/types.js';
import { exposedFunction, exposedMethods, type TypeRegistration } from '../../shared/rpc/registry.js';
import { isRemoteCallable, type RemoteCallContext, remoteCall } from '../../shared/rpc/served.js';
import { bindArgs, bindPython, callPython, fromDeclared, pythonError } from './calling.js';
import { PyFloat, type PyValue, pyTypeName } from './pickle/index.js';

export interface CallResult {
  value: unknown;
  /**
   * Gives a taken item back when the reply could not be delivered (the caller
   * died meanwhile). Only for queue-likes without `[remoteCall]`: items of our
   * own queues are leased, and come back when the connection's ledger is released.
   */
  undo?: () => void;
}

export interface PythonBinding {
  /** Method names as Python sees them (the `exposed` tuple sent to proxies). */
  readonly exposed: readonly string[];
  /** Our method name for a Python one, to look up `methodToTypeid`. */
  jsName(pythonName: string): string;
  /** `context`: the calling connection's signal (aborts when it closes) and lease ledger. */
  call(
    method: string,
    args: readonly PyValue[],
    kwds: ReadonlyMap<string, PyValue>,
    context: RemoteCallContext,
  ): Promise<CallResult>;
  /** What CPython's fallbacks return for this object (`#GETVALUE`, `__repr__`, `__str__`), when it knows. */
  fallback?(method: string): PyValue | undefined;
  /** The typeid a method's result is served as (a proxy comes back), when the object says. */
  resultTypeid?(method: string): string | undefined;
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
  shutdown?(immediate?: boolean): unknown;
  requeue?(item: unknown): void;
  readonly maxsize?: number;
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

/** Python's timeout rules (queue.py): None waits forever, `timeout < 0` is a ValueError, a non-number a TypeError. */
function toTimeout(value: PyValue): number | null {
  if (value === null) return null;
  const seconds = typeof value === 'bigint' ? Number(value) : value instanceof PyFloat ? value.value : value;
  if (typeof seconds !== 'number' && typeof seconds !== 'boolean') {
    throw pythonError('TypeError', `'<' not supported between instances of '${pyTypeName(value)}' and 'int'`);
  }
  if (Number(seconds) < 0) throw pythonError('ValueError', "'timeout' must be a non-negative number");
  return Number(seconds);
}

/** As in queue.py: a non-blocking call ignores its timeout, and so does a put on an unbounded queue. */
function blocking(block: PyValue, timeout: PyValue, signal: AbortLike, checked = true): BlockingOptions {
  if (!pyTruthy(block)) return { block: false, signal };
  return { block: true, timeout: checked ? toTimeout(timeout) : null, signal };
}

/** Our queue's errors with the texts CPython's queue.Queue gives. */
function asCPython(err: unknown): unknown {
  if (err instanceof RangeError && /taskDone\(\) called more times/.test(err.message)) {
    return pythonError('ValueError', 'task_done() called too many times');
  }
  return err;
}

type QueueMethod = (
  queue: QueueLike,
  args: readonly PyValue[],
  kwds: ReadonlyMap<string, PyValue>,
  context: RemoteCallContext,
) => Promise<CallResult>;

/**
 * Calls our method `name` on `queue`: through `[remoteCall]` when the queue
 * has it (leases, cancellation, acknowledgement), directly otherwise.
 */
function invoke(queue: QueueLike, name: string, args: unknown[], context: RemoteCallContext): unknown {
  if (isRemoteCallable(queue)) return queue[remoteCall](name, args, context);
  return (queue as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);
}

/** A method without parameters (after checking that none were passed). */
const noArgs =
  (pythonName: string, name: string): QueueMethod =>
  async (queue, args, kwds, context) => {
    bindArgs(`Queue.${pythonName}`, [], args, kwds, true);
    try {
      return { value: await invoke(queue, name, [], context) };
    } catch (err) {
      throw asCPython(err);
    }
  };

/** A taken item: leased if the queue leases, else put back with `requeue` if the reply cannot be delivered. */
function taken(queue: QueueLike, item: unknown): CallResult {
  if (isRemoteCallable(queue) || typeof queue.requeue !== 'function') return { value: item };
  return { value: item, undo: () => queue.requeue?.(item) };
}

/** queue.Queue's methods with Python's signatures, in the order `dir()` lists them. */
const QUEUE_METHODS: ReadonlyMap<string, { needs?: keyof QueueLike; call: QueueMethod }> = new Map<
  string,
  { needs?: keyof QueueLike; call: QueueMethod }
>([
  ['empty', { needs: 'empty', call: noArgs('empty', 'empty') }],
  ['full', { needs: 'full', call: noArgs('full', 'full') }],
  [
    'get',
    {
      call: async (q, a, k, context) => {
        const [block, timeout] = bindArgs(
          'Queue.get',
          [
            { name: 'block', default: true },
            { name: 'timeout', default: null },
          ],
          a,
          k,
          true,
        );
        return taken(
          q,
          await invoke(q, 'get', [blocking(block as PyValue, timeout as PyValue, context.signal)], context),
        );
      },
    },
  ],
  [
    'get_nowait',
    {
      call: async (q, a, k, context) => {
        bindArgs('Queue.get_nowait', [], a, k, true);
        return taken(q, await invoke(q, 'getNowait', [], context));
      },
    },
  ],
  ['join', { needs: 'join', call: noArgs('join', 'join') }],
  [
    'put',
    {
      call: async (q, a, k, context) => {
        const [item, block, timeout] = bindArgs(
          'Queue.put',
          [{ name: 'item' }, { name: 'block', default: true }, { name: 'timeout', default: null }],
          a,
          k,
          true,
        );
        const bounded = typeof q.maxsize === 'number' && q.maxsize > 0;
        await invoke(
          q,
          'put',
          [item, blocking(block as PyValue, timeout as PyValue, context.signal, bounded)],
          context,
        );
        return { value: null };
      },
    },
  ],
  [
    'put_nowait',
    {
      call: async (q, a, k, context) => {
        const [item] = bindArgs('Queue.put_nowait', [{ name: 'item' }], a, k, true);
        await invoke(q, 'putNowait', [item], context);
        return { value: null };
      },
    },
  ],
  ['qsize', { call: noArgs('qsize', 'qsize') }],
  [
    'shutdown',
    {
      needs: 'shutdown',
      call: async (q, a, k, context) => {
        const [immediate] = bindArgs('Queue.shutdown', [{ name: 'immediate', default: false }], a, k, true);
        await invoke(q, 'shutdown', [pyTruthy(immediate as PyValue)], context);
        return { value: null };
      },
    },
  ],
  ['task_done', { needs: 'taskDone', call: noArgs('task_done', 'taskDone') }],
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
    call: (method, args, kwds, context) => {
      const entry = exposed.includes(method) ? QUEUE_METHODS.get(method) : undefined;
      if (!entry) throw pythonError('AttributeError', `'Queue' object has no attribute '${method}'`);
      return entry.call(queue, args, kwds, context);
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
  const className = obj.constructor && obj.constructor !== Object ? obj.constructor.name : undefined;
  return {
    exposed,
    jsName: (name) => names.get(name) ?? name,
    call: async (method, args, kwds) => {
      const fn = exposedFunction(obj, typeid, jsNames, names.get(method) ?? method);
      const qualname = className ? `${className}.${method}` : method;
      return { value: await callPython(fn as (...a: never[]) => unknown, qualname, args, kwds, obj) };
    },
  };
}

/** Objects with a Python method table (the SyncManager types): CPython's names, signatures and exposure. */
function bindTable(obj: object & { [pythonMethods](): PythonMethodTable }): PythonBinding {
  const table = obj[pythonMethods]();
  const signatures = new Map(
    Object.entries(table.methods).map(([name, m]) => [
      name,
      fromDeclared(`${table.className}.${name}`, m.params, true),
    ]),
  );
  return {
    exposed: table.exposed,
    jsName: (name) => name,
    call: async (method, args, kwds, context) => {
      const entry = table.methods[method];
      const signature = signatures.get(method);
      if (!entry || !signature) {
        throw pythonError('AttributeError', `'${table.className}' object has no attribute '${method}'`);
      }
      const bound = bindPython(signature, args, kwds);
      const values = [...bound.values];
      if (signature.varargs) values.push(bound.rest);
      if (signature.varkw) values.push(bound.extra);
      return { value: await entry.call(values, context) };
    },
    fallback: (method) => {
      if (method === '#GETVALUE') return table.value?.();
      if (method === '__repr__' || method === '__str__') return table.repr?.();
      return undefined;
    },
    resultTypeid: (method) => table.methodToTypeid?.[method],
  };
}

/** How Python callers reach `obj`, served under `typeid` with `registration`. */
export function bindObject(obj: object, typeid: string, registration: TypeRegistration): PythonBinding {
  if (hasPythonMethods(obj)) return bindTable(obj);
  return isQueueLike(obj) ? bindQueue(obj, registration) : bindGeneric(obj, typeid, registration);
}
