/** The items a queue holds, with the bookkeeping that leases and first answers need. */
import type { LeasedEntry } from './leases.js';

/** An item with its bookkeeping. */
export interface QueueEntry<T> extends LeasedEntry {
  readonly value: T;
  /** Unique in this process. */
  readonly id: number;
  /** Times the item has been delivered to a remote peer. */
  deliveries: number;
  /** The id of the item whose lease the `put` of this one acknowledged (a result's task). */
  readonly answers: number | undefined;
}

/** An item that was delivered `maxDeliveries` times without being acknowledged. */
export interface DeadLetter<T> {
  value: T;
  id: number;
  deliveries: number;
  reason: string;
}

let nextEntryId = 1;

/** A fresh entry (ids are unique in this process). */
export function newEntry<T>(value: T, answers: number | undefined): QueueEntry<T> {
  return { value, id: nextEntryId++, deliveries: 0, answers };
}
