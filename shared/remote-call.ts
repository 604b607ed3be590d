/**
 * Objects that need to know about the caller of a remote method implement
 * `[remoteCall]`. Queues use it so that a blocking `get()` made for a peer is
 * cancelled when that peer's connection goes away, and an item it would have
 * received goes back to the queue instead of to a dead peer.
 */
import type { AbortLike } from './queue-types.js';

export const remoteCall: unique symbol = Symbol.for('peerproc.remoteCall');

export interface RemoteCallContext {
  /** Aborted when the calling peer's connection closes. */
  readonly signal: AbortLike;
}

export interface RemoteCallable {
  [remoteCall](method: string, args: unknown[], context: RemoteCallContext): unknown;
}

export function isRemoteCallable(obj: object): obj is RemoteCallable {
  return typeof (obj as Partial<RemoteCallable>)[remoteCall] === 'function';
}
