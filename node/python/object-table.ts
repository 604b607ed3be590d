/**
 * The objects a server hands out to Python proxies, with CPython's reference
 * counting (`Server.id_to_obj` / `id_to_refcount`): `create` and `incref` add
 * a reference, `decref` drops one, and an ident whose count reaches zero is
 * forgotten (its registration's callable may still hold the object and serve
 * it again later).
 *
 * Unlike CPython (`'%x' % id(obj)`), every `create` gets an ident of its own,
 * even for an object served before: an alias, so that one ident stands for
 * one proxy, i.e. one client process and all its threads (CPython clients
 * never compare idents; a proxy sent to another process shares it through
 * `incref`). That is how the server can tell which process a lease belongs
 * to, and when that process let go of its proxy (acknowledgement.ts).
 */

import type { TypeRegistration } from '../../shared/rpc/registry.js';
import { bindObject, type PythonBinding } from './call-adapter.js';
import { PyException } from './pickle/index.js';
import { PythonException } from './wire/index.js';

export interface ServedObject {
  /** Hex string, as CPython's `'%x' % id(obj)`. */
  readonly ident: string;
  readonly typeid: string;
  readonly obj: object;
  readonly binding: PythonBinding;
  readonly registration: TypeRegistration;
}

/** CPython raises KeyError(ident) for an unknown ident; so do we (sent as a short traceback). */
function unknownIdent(ident: string): PythonException {
  return new PythonException(new PyException('builtins', 'KeyError', [ident]));
}

export class ObjectTable {
  readonly #objects = new Map<string, ServedObject>();
  readonly #refcounts = new Map<string, number>();
  #nextId = 1;

  /** Serves `obj` under a new ident (see above), with one reference. */
  add(obj: object, typeid: string, registration: TypeRegistration): ServedObject {
    const ident = (this.#nextId++).toString(16);
    const served: ServedObject = { ident, typeid, obj, binding: bindObject(obj, typeid, registration), registration };
    this.#objects.set(ident, served);
    this.#refcounts.set(ident, 1);
    return served;
  }

  get(ident: string): ServedObject {
    const served = this.#objects.get(ident);
    if (!served) throw unknownIdent(ident);
    return served;
  }

  incref(ident: string): void {
    const count = this.#refcounts.get(ident);
    if (count === undefined) throw unknownIdent(ident);
    this.#refcounts.set(ident, count + 1);
  }

  /** Drops a reference; true when it was the last one (the proxy is gone). */
  decref(ident: string): boolean {
    const count = this.#refcounts.get(ident);
    if (count === undefined) throw unknownIdent(ident);
    if (count <= 1) {
      this.#refcounts.delete(ident);
      this.#objects.delete(ident);
      return true;
    }
    this.#refcounts.set(ident, count - 1);
    return false;
  }

  /** CPython's `number_of_objects`: idents with references (here one per proxy, see above). */
  get size(): number {
    return this.#refcounts.size;
  }

  /** CPython's `debug_info` text: one entry per object with its refcount. */
  debugInfo(): string {
    return [...this.#refcounts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([ident, count]) => `  ${ident}:       refcount=${count}\n    <${this.#objects.get(ident)?.typeid} object>`)
      .join('\n');
  }
}
