/**
 * How items CPython peers take are acknowledged (`--python-ack`).
 *
 * `'lease'` (the default): every item a Python peer takes is leased to the
 * method-call connection that took it, as for WebRTC peers. A `put` on that
 * connection (any queue) acknowledges its oldest lease, `task_done()` one.
 * CPython opens one such connection per thread, and nothing on the wire says
 * which process a thread belongs to (every process calls itself
 * `MainProcess`), so a put from another thread cannot acknowledge.
 * What does identify a process is its proxy: the server gives every
 * `create` its own ident (a per-proxy alias of the served object, see
 * object-table.ts), every thread of that process calls through it, and
 * CPython's proxies send `decref` for it when they are dropped, which every
 * process does at normal exit (multiprocessing's exit finalizers). So:
 *
 * - a proxy released cleanly (decref to zero) acknowledges what was taken
 *   through it and is still held: the process ended normally, having
 *   consumed it, as CPython's own semantics have it (the thread-pool
 *   worker, whose results go out from other threads, and the read-only
 *   consumer both end this way);
 * - a process that dies (killed, crashed, cut off) sends no decref: when
 *   its connection ends, what it held goes back to the head of its queue.
 *
 * `'get'`: CPython's consume-on-get. Nothing is leased; an item is gone from
 * the queue once a Python peer took it, and lost if that peer dies before
 * finishing it (CPython's own fault, see python-managers.md).
 */

import { ConfigError } from '../../shared/errors.js';
import type { LeasedEntry } from '../../shared/queue/leases.js';
import { type Lease, LeaseLedger, type LeaseOwner } from '../../shared/queue/leases.js';

export type PythonAck = 'lease' | 'get';

export const PYTHON_ACK_MODES: readonly PythonAck[] = ['lease', 'get'];

export function parsePythonAck(value: string): PythonAck {
  if ((PYTHON_ACK_MODES as readonly string[]).includes(value)) return value as PythonAck;
  throw new ConfigError(`--python-ack must be one of ${PYTHON_ACK_MODES.join(', ')}, got ${JSON.stringify(value)}`);
}

/** The ledger of one method-call connection: leases, each tagged with the proxy ident it was taken through. */
export class ConnectionLedger extends LeaseLedger {
  /** The ident of the call in progress (a connection makes one call at a time). */
  via: string | undefined;
  readonly #via = new WeakMap<LeasedEntry, string>();

  override add(owner: LeaseOwner, entry: LeasedEntry): void {
    if (this.via !== undefined) this.#via.set(entry, this.via);
    super.add(owner, entry);
  }

  /** Acknowledges what was taken through proxy `ident` (it was released cleanly). */
  acknowledgeVia(ident: string): number {
    return this.acknowledgeWhere((lease: Lease) => this.#via.get(lease.entry) === ident);
  }
}

/** `--python-ack get`: nothing is leased, so nothing is ever given back. */
export class ConsumeOnGetLedger extends ConnectionLedger {
  override add(): void {}
}

export function ledgerFor(mode: PythonAck): ConnectionLedger {
  return mode === 'get' ? new ConsumeOnGetLedger() : new ConnectionLedger();
}
