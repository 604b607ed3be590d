/**
 * The objects a server hands out to Python proxies, with CPython's reference
 * counting (`Server.id_to_obj` / `id_to_refcount`): `create` and `incref` add
 * a reference, `decref` drops one, and an object whose count reaches zero is
 * forgotten (its registration's callable may still hold it and serve it again
 * later under the same ident).
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

export class PythonObjectTable {
  readonly #idents = new WeakMap<object, string>();
  readonly #objects = new Map<string, ServedObject>();
  readonly #refcounts = new Map<string, number>();
  #nextId = 1;

  /** Registers `obj` (reusing its ident if it was served before) and adds one reference. */
  add(obj: object, typeid: string, registration: TypeRegistration): ServedObject {
    let ident = this.#idents.get(obj);
    if (ident === undefined) {
      ident = (this.#nextId++).toString(16);
      this.#idents.set(obj, ident);
    }
    const served: ServedObject = { ident, typeid, obj, binding: bindObject(obj, typeid, registration), registration };
    this.#objects.set(ident, served);
    if (!this.#refcounts.has(ident)) this.#refcounts.set(ident, 0);
    this.incref(ident);
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

  decref(ident: string): void {
    const count = this.#refcounts.get(ident);
    if (count === undefined) throw unknownIdent(ident);
    if (count <= 1) {
      this.#refcounts.delete(ident);
      this.#objects.delete(ident);
    } else {
      this.#refcounts.set(ident, count - 1);
    }
  }

  /** CPython's `number_of_objects`. */
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
