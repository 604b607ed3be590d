/**
 * Small pieces every SyncManager type uses: its Python method table, who is
 * calling (CPython's RLock belongs to a thread; here to a connection), and
 * waits that end on wake-up, timeout, or the caller going away.
 */
import { ConnectionClosedError } from '../errors.js';
import type { PythonMethod, PythonMethodTable, PythonParam } from '../python/call.js';
import type { PyValue } from '../python/values.js';
import type { AbortLike } from '../queue/types.js';
import type { RemoteCallContext } from '../rpc/served.js';

export type Impl = (args: PyValue[], context: RemoteCallContext | undefined) => unknown;

/** `{ name: [params, impl] }` as a method table with CPython's class name and exposure. */
export function methodTable(
  className: string,
  exposed: readonly string[],
  methods: Readonly<Record<string, readonly [readonly PythonParam[], Impl]>>,
  extra: Pick<PythonMethodTable, 'value' | 'repr' | 'methodToTypeid'> = {},
): PythonMethodTable {
  const table: Record<string, PythonMethod> = {};
  for (const [name, [params, call]] of Object.entries(methods)) table[name] = { params, call };
  return { className, exposed, methods: table, ...extra };
}

/** The caller a lock belongs to when taken locally (not through a connection). */
const LOCAL_CALLER = Object.freeze({ local: true });

/**
 * Who is calling: one identity per connection (a CPython client thread, or a
 * JS peer), since each connection carries its own lease ledger.
 */
export function callerOf(context: RemoteCallContext | undefined): object {
  return context?.ledger ?? LOCAL_CALLER;
}

/** A Python timeout: None waits forever, numbers are seconds (negative: do not wait). */
export function seconds(value: PyValue | undefined): number | null {
  if (value === null || value === undefined) return null;
  return Number(value);
}

/**
 * Waits until `register`'s wake-up is called (true), `timeout` seconds pass
 * (false), or the caller's connection closes (rejects). `register` adds the
 * waiter and returns how to remove it.
 */
export function waitFor(
  register: (wake: () => void) => () => void,
  timeout: number | null,
  signal: AbortLike | undefined,
): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unregister: () => void = () => {};
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      unregister();
      done();
      reject(new ConnectionClosedError('wait cancelled: the caller went away'));
    };
    unregister = register(() => {
      done();
      resolve(true);
    });
    if (timeout !== null) {
      timer = setTimeout(() => {
        unregister();
        done();
        resolve(false);
      }, Math.max(0, timeout) * 1000);
    }
    signal?.addEventListener('abort', onAbort);
  });
}
