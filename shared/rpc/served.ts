/**
 * Objects that need to know about the caller of a remote method implement
 * `[remoteCall]`. Queues use it so that a blocking `get()` made for a peer is
 * cancelled when that peer's connection goes away, so that items a peer takes
 * are leased to it until acknowledged, and to offer batched transfer.
 */
import type { LeaseLedger } from '../queue/leases.js';
import type { AbortLike } from '../queue/types.js';

export const remoteCall: unique symbol = Symbol.for('peerproc.remoteCall');
/** Methods served through `[remoteCall]` in addition to the exposed ones (peerproc's own batch protocol). */
export const remoteInternals: unique symbol = Symbol.for('peerproc.remoteInternals');
/** What a proxy for this object can do beyond plain calls, sent with the object reference. */
export const remoteFeatures: unique symbol = Symbol.for('peerproc.remoteFeatures');

export interface RemoteCallContext {
  /** Aborted when the calling peer's connection closes. */
  readonly signal: AbortLike;
  /** Items leased to the calling peer. */
  readonly ledger: LeaseLedger;
  /**
   * False while the calling peer has been silent for more than a couple of
   * heartbeats: it may have died without a word (SIGKILL, power loss), and its
   * death is only declared after `deadAfter`. Queues then prefer other
   * callers, and a delivery made to it does not count against `maxDeliveries`.
   * Absent: always considered alive (e.g. TCP peers, whose sockets say when they die).
   */
  readonly heardFrom?: () => boolean;
  /**
   * Whether a delivery made now counts against `maxDeliveries`: the peer spoke
   * within the last heartbeat interval, so it was alive a moment ago (it just
   * asked, or sent a result or a ping). Stricter than `heardFrom`, whose
   * margin covers a live peer's longest gap between pings: a peer SIGKILLed
   * while its get waited at a queue still looks heard from for a while, and
   * items handed to that get in that time (redelivered from other dead peers,
   * say) would otherwise count a delivery each time, until a task that only
   * ever met dying workers went to the dead letters. Absent: every delivery
   * counts (TCP peers, whose sockets say when they die).
   */
  readonly heardLately?: () => boolean;
  /** The calling peer's id, where the serving side knows it (a master's workers): who returned a result. */
  readonly peer?: string;
}

/**
 * The user-level calls one remote call stands for, as `[method, count]` (a
 * batch of three results is three `put`s): what per-worker statistics count.
 */
export const remoteTally: unique symbol = Symbol.for('peerproc.remoteTally');

export interface RemoteCallable {
  [remoteCall](method: string, args: unknown[], context: RemoteCallContext): unknown;
  readonly [remoteInternals]?: readonly string[];
  [remoteFeatures]?(): Record<string, unknown>;
  [remoteTally]?(method: string, args: unknown[], result: unknown): [string, number];
}

export function isRemoteCallable(obj: object): obj is RemoteCallable {
  return typeof (obj as Partial<RemoteCallable>)[remoteCall] === 'function';
}
