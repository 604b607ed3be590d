/**
 * What a manager serves: typeids registered with `register()`, each with the
 * callable that makes the served object and the methods it exposes. Shared by
 * every front end that serves objects (WebRTC peers, the CPython protocol).
 */
import { MethodNotExposedError, UnknownTypeidError } from '../errors.js';

export interface TypeRegistration {
  /** Makes (or returns) the served object; absent on the connecting side, as in Python. */
  // biome-ignore lint/suspicious/noExplicitAny: callables take whatever the caller passes.
  callable?: (...args: any[]) => object;
  /** Methods callers may invoke; default: every public method of the object. */
  exposed?: readonly string[];
  /** Methods whose return value is served as a new object of the given typeid (returned as a proxy). */
  methodToTypeid?: Readonly<Record<string, string>>;
}

export type Registry = ReadonlyMap<string, TypeRegistration>;

/** Public methods of an object: functions on it or its prototypes, not starting with `_` or `#`, minus `constructor`. */
export function publicMethods(obj: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor' || name.startsWith('_')) continue;
      const desc = Object.getOwnPropertyDescriptor(o, name);
      if (desc && typeof desc.value === 'function') names.add(name);
    }
  }
  return [...names].sort();
}

/** The methods of `obj` callers may use under `registration`. */
export function exposedMethods(obj: object, registration: TypeRegistration): string[] {
  return registration.exposed ? [...registration.exposed] : publicMethods(obj);
}

export function lookupTypeid(registry: Registry, typeid: string): TypeRegistration {
  const registration = registry.get(typeid);
  if (!registration?.callable) {
    throw new UnknownTypeidError(`no object registered as ${JSON.stringify(typeid)} on this manager`);
  }
  return registration;
}

/** Checks that `method` may be called on an object exposing `exposed`; returns the function. */
export function exposedFunction(
  obj: object,
  typeid: string,
  exposed: readonly string[],
  method: string,
): (...args: unknown[]) => unknown {
  const fn = exposed.includes(method) ? (obj as Record<string, unknown>)[method] : undefined;
  if (typeof fn !== 'function') {
    throw new MethodNotExposedError(
      `method ${JSON.stringify(method)} of ${JSON.stringify(typeid)} is not exposed (exposed: ${exposed.join(', ') || 'none'})`,
    );
  }
  return fn as (...args: unknown[]) => unknown;
}
