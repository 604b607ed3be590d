/**
 * The room directory: who is in which room, and how to reach them. The
 * handlers speak only to this interface; `MemoryDirectory` (one process,
 * rooms in memory, the default) and `RedisDirectory` (several nodes sharing
 * rooms through Redis) implement it.
 *
 * The in-memory directory answers at once; the Redis one answers joins,
 * leaves and deliveries to peers on other nodes later, so those results are
 * `Maybe<T>`, and `settle` runs the rest of a handler synchronously when the
 * answer is already there (keeping the single-process server exactly as it
 * was) or once it comes.
 */
import type { ServerMessage } from '../shared/signaling/protocol.js';
import type { JoinRefusal, RoomMember } from './rooms.js';

export type Maybe<T> = T | Promise<T>;

/** A peer the handlers can send to: a client of this node, or one on another node (sent through Redis). */
export interface PeerHandle {
  readonly id: string;
  send(message: ServerMessage): void;
}

/** Where a `signal` goes: `deliver` answers whether the peer was there to receive it. */
export interface SignalTarget {
  deliver(text: string): Maybe<DeliveryOutcome>;
}

/** `failed`: the peer may be there, but the cluster could not be asked (counted as a Redis error, not told). */
export type DeliveryOutcome = 'delivered' | 'unknown-peer' | 'failed';

/** On success, the counterparts to introduce: every worker for a new master, the master (if any) for a new worker. */
export type JoinOutcome =
  | { readonly ok: true; readonly counterparts: readonly PeerHandle[] }
  | { readonly ok: false; readonly code: JoinRefusal | 'UNAVAILABLE' };

/** What a cluster node adds to /healthz and /metrics. */
export interface ClusterStats {
  readonly node: string;
  readonly redisUp: boolean;
  /** Nodes alive at the last presence refresh, this one included. */
  readonly nodes: number;
  /** Messages sent to peers on other nodes (pairings, departures, relayed signals). */
  readonly messagesOut: number;
  /** Messages from other nodes delivered to this node's peers. */
  readonly messagesIn: number;
  /** Failed Redis commands and lost connections. */
  readonly redisErrors: number;
  /** Round trip of the last presence refresh, seconds. */
  readonly redisLatencySeconds: number;
  /** Dead nodes whose peers this node removed from the rooms. */
  readonly nodesExpired: number;
  /** Times this node lost Redis (or found itself taken for dead) and dropped its peers. */
  readonly redisLost: number;
}

export interface RoomDirectory {
  /** Adds `member` to room `name` (this node's peers and, in a cluster, every node's) if the limits allow. */
  join(name: string, member: RoomMember): Maybe<JoinOutcome>;
  /** Removes `member` (compared by identity); resolves with the counterparts to tell, none if it was not there. */
  leave(name: string, member: RoomMember): Maybe<readonly PeerHandle[]>;
  /**
   * Where `sender`'s signal to `to` goes: the room's master (from a worker) or one of its workers (from the
   * master). Undefined when `to` is certainly not that; a peer on another node is checked on delivery.
   */
  signalTarget(name: string, sender: RoomMember, to: string): SignalTarget | undefined;
  /** Workers in room `name`, across the cluster (a master's message rate scales with it; may lag a little). */
  workerCount(name: string): number;
  /** This node's rooms with at least one peer, and its registered peers. */
  readonly roomCount: number;
  readonly masters: number;
  readonly workers: number;
  /** Undefined for the in-memory directory. */
  clusterStats(): ClusterStats | undefined;
  close(): Promise<void>;
}

/**
 * Runs `then` on `value` now if it is there, or once the promise resolves. `failed` gets a rejection, or what
 * `then` threw when it ran late (an early throw propagates to the caller, as for any synchronous handler).
 */
export function settle<T>(value: Maybe<T>, then: (value: T) => void, failed: (err: unknown) => void): void {
  if (!(value instanceof Promise)) {
    then(value);
    return;
  }
  value.then(then).catch((err: unknown) => {
    try {
      failed(err);
    } catch {
      // `failed` only reports; a second failure has nobody left to tell.
    }
  });
}
