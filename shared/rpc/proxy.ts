/**
 * Proxies: objects whose methods forward to an object served elsewhere and
 * return promises. `ProxyOf<Queue<number>>` offers `put(item: number, ...)` and
 * `get(...): Promise<number>`, typed from the served class.
 */
import { ConnectionClosedError } from '../errors.js';
import { type ObjectReference, ProxyReturned, type RpcEndpoint } from './endpoint.js';

// biome-ignore lint/suspicious/noExplicitAny: matches any method signature.
type AnyFunction = (...args: any[]) => any;

/** The remote view of `T`: every public method, async. */
export type ProxyOf<T> = {
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
  return specialize(proxy, rpc, reference) as ProxyOf<T>;
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
  return proxy as ProxyOf<T>;
}
