/**
 * peerproc's own batch calls on a served queue, beside the user API: a queue
 * proxy fetches items ahead (`GET_BATCH`) and writes results behind
 * (`PUT_BATCH`); the served queue answers them (queue.ts). One source for
 * both sides and for the `prefetch` option's upper bound.
 */

/** Method names of the batch calls (not part of the user API). */
export const GET_BATCH = '__getBatch';
export const PUT_BATCH = '__putBatch';
/** Most items one batch call may carry: bounds one message whatever a peer asks for. */
export const MAX_BATCH = 1024;

/**
 * GET_BATCH's answer: the items, and the caller's fair share of what is
 * still queued (what is left divided among the peers getting from this
 * queue). The share lets a worker's window jump to its part of a long queue
 * in one step instead of doubling up from 1 (prefetch-window.ts): with 500
 * workers each worker's whole part of a run can be a handful of items, all
 * of it spent in the ramp otherwise.
 */
export interface GetBatchReply<T> {
  items: T[];
  share: number;
}
