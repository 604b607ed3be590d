/**
 * Python call shapes onto our objects. A Python proxy calls
 * `get(block=True, timeout=None)` / `put(item, block=True, timeout=None)`
 * with positional or keyword arguments and snake_case names (`get_nowait`,
 * `task_done`); our queues take `get({ block, timeout, signal })` and
 * camelCase names. Queue-like objects get a faithful adapter (Python's
 * signatures, argument errors and timeout checks); other objects get their
 * exposed methods under snake_case names, called with the positional
 * arguments plus, when keywords were given, one trailing options object.
 *
 * Our own queues (anything with `[remoteCall]`) are called through it, the
 * code path WebRTC peers take: the caller's connection signal cancels its
 * waits, items it takes are leased to the connection's `LeaseLedger`, its
 * `put` and `task_done` acknowledge them, and an item taken for a caller
 * that is already gone goes back to the head of the queue.
 */

import type { BlockingOptions } from '../../shared/queue/queue.js';
import type { AbortLike } from '../../shared/queue/types.js';
import { exposedFunction, exposedMethods, type TypeRegistration } from '../../shared/rpc/registry.js';
import { isRemoteCallable, type RemoteCallContext, remoteCall } from '../../shared/rpc/served.js';
import type { PyValue } from './pickle/index.js';

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

function blocking(block: PyValue, timeout: PyValue, signal: AbortLike): BlockingOptions {
  // As in Python, a non-blocking call ignores its timeout.
  return pyTruthy(block) ? { block: true, timeout: toTimeout(timeout), signal } : { block: false, signal };
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
    bindArgs(pythonName, [], args, kwds);
    return { value: await invoke(queue, name, [], context) };
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
          'get',
          [
            { name: 'block', default: true },
            { name: 'timeout', default: null },
          ],
          a,
          k,
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
        bindArgs('get_nowait', [], a, k);
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
          'put',
          [{ name: 'item' }, { name: 'block', default: true }, { name: 'timeout', default: null }],
          a,
          k,
        );
        await invoke(q, 'put', [item, blocking(block as PyValue, timeout as PyValue, context.signal)], context);
        return { value: null };
      },
    },
  ],
  [
    'put_nowait',
    {
      call: async (q, a, k, context) => {
        const [item] = bindArgs('put_nowait', [{ name: 'item' }], a, k);
        await invoke(q, 'putNowait', [item], context);
        return { value: null };
      },
    },
  ],
  ['qsize', { call: noArgs('qsize', 'qsize') }],
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
      if (!entry) throw new PythonTypeError(`queue method '${method}' is not exposed`);
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
