/**
 * Proxies: objects whose methods forward to an object served elsewhere and
 * return promises. `ProxyOf<Queue<number>>` offers `put(item: number, ...)` and
 * `get(...): Promise<number>`, typed from the served class.
 */
import { ConnectionClosedError, MethodNotExposedError } from '../errors.js';
import { type ObjectReference, ProxyReturned, type RpcEndpoint } from './endpoint.js';

// biome-ignore lint/suspicious/noExplicitAny: matches any method signature.
type AnyFunction = (...args: any[]) => any;

/**
 * The remote view of `T`: every public method, async, plus `[proxyInfo]`.
 * Serve a part of a class with `exposed: ['add']` and name that part in the
 * registry (`counter: Pick<Counter, 'add'>`): the proxy's type then offers
 * only `add`, and calling anything else at run time rejects with
 * MethodNotExposedError.
 */
// biome-ignore lint/suspicious/noExplicitAny: the proxy of `any` stays `any`, as it was before `[proxyInfo]` was typed.
export type ProxyOf<T> = 0 extends 1 & T ? any : ProxyMethods<T> & { readonly [proxyInfo]: ProxyInfo };

/** The async methods of `ProxyOf<T>`. */
export type ProxyMethods<T> = {
  [K in keyof T as K extends string
    ? K extends `_${string}`
      ? never
      : T[K] extends AnyFunction
        ? K
        : never
    : never]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** Marks proxies so that `release()` and introspection work on any of them. */
export const proxyInfo: unique symbol = Symbol.for('peerproc.proxyInfo');

export interface ProxyInfo {
  readonly exposed: readonly string[];
  release(): void;
}

/**
 * Turns the plain proxy of a served object into a richer one, from what its
 * reference announces (`features`); returns `base` itself when nothing applies.
 * The manager passes queue/proxy.ts's `queueProxies`, so this layer needs no
 * knowledge of queues.
 */
export type ProxySpecializer = (
  base: Record<string | symbol, unknown>,
  rpc: RpcEndpoint,
  reference: ObjectReference,
) => Record<string | symbol, unknown>;

/** A proxy for an object served across `rpc`, specialized by `specialize` (queues get prefetch and batched results). */
export function remoteProxy<T>(rpc: RpcEndpoint, reference: ObjectReference, specialize: ProxySpecializer): ProxyOf<T> {
  const { objectId, exposed } = reference;
  const proxy: Record<string | symbol, unknown> = {};
  for (const method of exposed) {
    proxy[method] = async (...args: unknown[]) => {
      const value = await rpc.call(objectId, method, args);
      return value instanceof ProxyReturned ? remoteProxy(rpc, value.reference, specialize) : value;
    };
  }
  const info: ProxyInfo = { exposed, release: () => rpc.release(objectId) };
  proxy[proxyInfo] = info;
  return guardExposed(specialize(proxy, rpc, reference), exposed) as ProxyOf<T>;
}

/**
 * Names that runtimes and tools probe on any object (promise resolution looks
 * for `then`, JSON.stringify for `toJSON`): they stay undefined rather than
 * becoming calls that reject.
 */
const PROBED = new Set(['then', 'toJSON', 'asymmetricMatch', '$$typeof', 'nodeType', 'constructor']);

/**
 * Makes a call to a method the served object does not expose reject with
 * MethodNotExposedError (the same error the master would answer), instead of
 * a TypeError about undefined not being a function.
 */
function guardExposed<P extends Record<string | symbol, unknown>>(proxy: P, exposed: readonly string[]): P {
  return new Proxy(proxy, {
    get(target, key, receiver) {
      if (typeof key === 'symbol' || key in target || PROBED.has(key)) return Reflect.get(target, key, receiver);
      return () =>
        Promise.reject(
          new MethodNotExposedError(
            `method ${JSON.stringify(key)} is not exposed by this proxy (exposed: ${exposed.join(', ') || 'none'})`,
          ),
        );
    },
  });
}

/**
 * A proxy for an object in this process (the master's own view of what it
 * serves): same async interface, no wire.
 */
export function localProxy<T>(obj: object, exposed: readonly string[]): ProxyOf<T> {
  const proxy: Record<string | symbol, unknown> = {};
  let released = false;
  for (const method of exposed) {
    const fn = (obj as Record<string, AnyFunction>)[method];
    // Not an async function: a method that already returns a promise is passed through as is.
    proxy[method] = (...args: unknown[]) => {
      if (released) return Promise.reject(new ConnectionClosedError('PROXY_RELEASED', 'proxy was released'));
      try {
        return Promise.resolve(fn.apply(obj, args));
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  const info: ProxyInfo = {
    exposed,
    release: () => {
      released = true;
    },
  };
  proxy[proxyInfo] = info;
  return guardExposed(proxy, exposed) as ProxyOf<T>;
}
