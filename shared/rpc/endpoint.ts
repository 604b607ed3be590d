/**
 * Calls and replies over one authenticated link. Outgoing calls are
 * pipelined (any number outstanding, paired by id); incoming calls are served
 * from an ObjectTable when this side serves objects. When the link ends, every
 * pending call rejects with the reason: nothing hangs.
 */
import { ConnectionClosedError, fromWireError, ProtocolError, toWireError } from '../errors.js';
import type { CallOutcome, ObjectTable } from './object-table.js';
import { CAST_ERROR_ID, Kind, type Message } from './protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  /** Set for CREATE and calls that may return a proxy reference. */
  wantsReference: boolean;
}

/** A reference to an object served on the other side. */
export interface ObjectReference {
  objectId: number;
  exposed: string[];
  features: Record<string, unknown>;
}

export class RpcEndpoint {
  readonly #send: (message: Message) => void;
  readonly #table: ObjectTable | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = CAST_ERROR_ID + 1;
  #closedWith: Error | undefined;
  #castFailure: Error | undefined;
  /** Write-behind buffers (queue proxies) that must reach the peer before any later call. */
  readonly #flushHooks = new Set<() => void>();
  #flushing = false;

  constructor(send: (message: Message) => void, table?: ObjectTable) {
    this.#send = send;
    this.#table = table;
  }

  /** The first failure the peer reported for a `cast`; later calls through queue proxies report it. */
  get castFailure(): Error | undefined {
    return this.#castFailure;
  }

  /** Sends a call that gets no reply (the peer reports only a failure, to `castFailure`). */
  cast(objectId: number, method: string, args: unknown[]): void {
    if (this.#closedWith) throw this.#closedWith;
    this.flush();
    this.#send([Kind.Cast, objectId, method, args]);
  }

  /** Why the endpoint closed, once it has. */
  get closedWith(): Error | undefined {
    return this.#closedWith;
  }

  create(typeid: string, args: unknown[] = []): Promise<ObjectReference> {
    return this.#request((id) => [Kind.Create, id, typeid, args], true) as Promise<ObjectReference>;
  }

  call(objectId: number, method: string, args: unknown[]): Promise<unknown> {
    return this.#request((id) => [Kind.Call, id, objectId, method, args], false);
  }

  release(objectId: number): void {
    if (!this.#closedWith) this.#send([Kind.Release, objectId]);
  }

  /** Registers a buffer to flush before every call, so calls reach the peer in the order they were made. */
  addFlushHook(flush: () => void): () => void {
    this.#flushHooks.add(flush);
    return () => this.#flushHooks.delete(flush);
  }

  /** Sends whatever the write-behind buffers hold. */
  flush(): void {
    if (this.#flushing || this.#flushHooks.size === 0) return;
    this.#flushing = true;
    try {
      for (const flush of this.#flushHooks) flush();
    } finally {
      this.#flushing = false;
    }
  }

  #request(make: (id: number) => Message, wantsReference: boolean): Promise<unknown> {
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    this.flush();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      try {
        this.#send(make(id));
      } catch (err) {
        reject(err); // arguments that cannot be encoded
        return;
      }
      this.#pending.set(id, { resolve, reject, wantsReference });
    });
  }

  /** Handles one validated message from the peer. Throws ProtocolError on a protocol breach. */
  handle(message: Message): void {
    switch (message[0]) {
      case Kind.Call:
        this.#serve(message[1], () => this.#tableOrThrow().call(message[2], message[3], message[4]));
        return;
      case Kind.Cast:
        this.#serve(CAST_ERROR_ID, () => this.#tableOrThrow().call(message[1], message[2], message[3]));
        return;
      case Kind.Create:
        this.#serve(message[1], () => this.#tableOrThrow().create(message[2], message[3]));
        return;
      case Kind.Release:
        this.#table?.release(message[1]);
        return;
      case Kind.Result:
        this.#settle(message[1], (p) => p.resolve(message[2]));
        return;
      case Kind.ProxyResult:
        this.#settle(message[1], (p) => {
          const reference: ObjectReference = { objectId: message[2], exposed: message[3], features: message[4] };
          p.resolve(p.wantsReference ? reference : new ProxyReturned(reference));
        });
        return;
      case Kind.Error:
        if (message[1] === CAST_ERROR_ID) {
          this.#castFailure ??= fromWireError({ name: message[2], message: message[3], code: message[4] });
          return;
        }
        this.#settle(message[1], (p) =>
          p.reject(fromWireError({ name: message[2], message: message[3], code: message[4] })),
        );
        return;
      default:
        return; // Ping and Bye are handled by the connection.
    }
  }

  #tableOrThrow(): ObjectTable {
    if (!this.#table) throw new ProtocolError('this peer serves no objects');
    return this.#table;
  }

  #settle(id: number, settle: (pending: Pending) => void): void {
    const pending = this.#pending.get(id);
    if (!pending) throw new ProtocolError(`reply to unknown call id ${id}`);
    this.#pending.delete(id);
    settle(pending);
  }

  #serve(id: number, run: () => CallOutcome | Promise<CallOutcome>): void {
    let outcome: ReturnType<typeof run>;
    try {
      outcome = run();
    } catch (err) {
      this.#reply(id, undefined, err);
      return;
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (o) => this.#reply(id, o, undefined),
        (err) => this.#reply(id, undefined, err),
      );
    } else {
      this.#reply(id, outcome, undefined);
    }
  }

  #reply(id: number, outcome: CallOutcome | undefined, err: unknown): void {
    if (this.#closedWith) return;
    if (id === CAST_ERROR_ID && err === undefined) return; // casts are answered only when they fail
    if (err !== undefined || outcome === undefined) {
      const wire = toWireError(err);
      const name = wire.name.slice(0, 256);
      this.#send(wire.code ? [Kind.Error, id, name, wire.message, wire.code] : [Kind.Error, id, name, wire.message]);
    } else if ('value' in outcome) {
      try {
        this.#send([Kind.Result, id, outcome.value]);
      } catch (encodeErr) {
        this.#send([Kind.Error, id, 'TypeError', (encodeErr as Error).message]);
      }
    } else {
      this.#send([Kind.ProxyResult, id, outcome.objectId, outcome.exposed, outcome.features]);
    }
  }

  /** Rejects every pending call with `reason`; later calls reject at once. */
  close(reason: Error = new ConnectionClosedError('CONNECTION_CLOSED', 'connection closed')): void {
    if (this.#closedWith) return;
    this.#closedWith = reason;
    this.#flushHooks.clear();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(reason);
  }
}

/** A call's result that is itself a served object (methodToTypeid); the proxy layer wraps it. */
export class ProxyReturned {
  constructor(readonly reference: ObjectReference) {}
}
