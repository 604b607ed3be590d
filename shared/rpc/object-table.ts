/**
 * The objects one connection has created on the serving side, and the
 * dispatch of its calls to them: only exposed methods, errors reduced to name
 * and message. Objects live as long as the connection (or until released).
 */
import { ProtocolError } from '../errors.js';
import { LeaseLedger } from '../queue/leases.js';
import type { AbortLike } from '../queue/types.js';
import { exposedFunction, exposedMethods, lookupTypeid, type Registry } from './registry.js';
import {
  isRemoteCallable,
  type RemoteCallContext,
  remoteCall,
  remoteFeatures,
  remoteInternals,
  remoteTally,
} from './served.js';

/** A connection may hold at most this many served objects at once. */
const MAX_OBJECTS_PER_CONNECTION = 10_000;

interface Served {
  obj: object;
  typeid: string;
  exposed: string[];
  methodToTypeid: Readonly<Record<string, string>> | undefined;
}

/** A new served object: its id, the methods callers may use, and what its proxy can do beyond that. */
export interface ServedReference {
  objectId: number;
  exposed: string[];
  features: Record<string, unknown>;
}

/** What a call returns: a plain value, or a new served object (methodToTypeid). */
export type CallOutcome = { value: unknown } | ServedReference;

export class ObjectTable {
  readonly #registry: Registry;
  readonly #context: RemoteCallContext;
  readonly #objects = new Map<number, Served>();
  /** Calls served, by "typeid.method" (the master page's per-worker share). */
  readonly callCounts = new Map<string, number>();
  #nextId = 1;

  /** `signal` aborts when the peer's connection ends; `liveness` tells whether the peer spoke lately (RemoteCallContext). */
  constructor(
    registry: Registry,
    signal: AbortLike,
    liveness?: Pick<RemoteCallContext, 'heardFrom' | 'heardLately'>,
    peer?: string,
  ) {
    this.#registry = registry;
    this.#context = { signal, ledger: new LeaseLedger(), ...liveness, peer };
  }

  /** The connection ended: items leased to the peer go back to their queues. */
  releaseLeases(reason: string): void {
    this.#context.ledger.releaseAll(reason);
  }

  create(typeid: string, args: unknown[]): ServedReference {
    const registration = lookupTypeid(this.#registry, typeid);
    const obj = (registration.callable as (...a: unknown[]) => object)(...args);
    return this.#serve(obj, typeid);
  }

  #serve(obj: unknown, typeid: string): ServedReference {
    if (typeof obj !== 'object' || obj === null) {
      throw new TypeError(
        `the callable registered as ${JSON.stringify(typeid)} returned ${String(obj)}, not an object`,
      );
    }
    if (this.#objects.size >= MAX_OBJECTS_PER_CONNECTION) {
      throw new ProtocolError(`connection holds ${MAX_OBJECTS_PER_CONNECTION} objects already; release some first`);
    }
    const registration = this.#registry.get(typeid) ?? {};
    const exposed = exposedMethods(obj, registration);
    const objectId = this.#nextId++;
    this.#objects.set(objectId, { obj, typeid, exposed, methodToTypeid: registration.methodToTypeid });
    const features = isRemoteCallable(obj) ? (obj[remoteFeatures]?.() ?? {}) : {};
    return { objectId, exposed, features };
  }

  /** Calls `method`; sync results come back without a promise (the common fast path). */
  call(objectId: number, method: string, args: unknown[]): CallOutcome | Promise<CallOutcome> {
    const served = this.#objects.get(objectId);
    if (!served) throw new ProtocolError(`no object with id ${objectId} on this connection`);
    const obj = served.obj;
    let result: unknown;
    if (isRemoteCallable(obj)) {
      // peerproc's own batch methods are served whatever `exposed` says; everything else must be exposed.
      if (!obj[remoteInternals]?.includes(method)) exposedFunction(obj, served.typeid, served.exposed, method);
      result = obj[remoteCall](method, args, this.#context);
    } else {
      result = exposedFunction(obj, served.typeid, served.exposed, method).apply(obj, args);
    }
    const resultTypeid = served.methodToTypeid?.[method];
    if (result instanceof Promise) {
      return result.then((value) => {
        this.#count(served, method, args, value);
        return this.#outcome(value, resultTypeid);
      });
    }
    this.#count(served, method, args, result);
    return this.#outcome(result, resultTypeid);
  }

  /** Counts a served call under the user-level calls it stands for (see `remoteTally`). */
  #count(served: Served, method: string, args: unknown[], result: unknown): void {
    const obj = served.obj;
    const [counted, n] =
      isRemoteCallable(obj) && obj[remoteTally] ? obj[remoteTally](method, args, result) : [method, 1];
    const key = `${served.typeid}.${counted}`;
    this.callCounts.set(key, (this.callCounts.get(key) ?? 0) + n);
  }

  #outcome(value: unknown, resultTypeid: string | undefined): CallOutcome {
    return resultTypeid === undefined ? { value } : this.#serve(value, resultTypeid);
  }

  release(objectId: number): void {
    this.#objects.delete(objectId);
  }

  get size(): number {
    return this.#objects.size;
  }
}
