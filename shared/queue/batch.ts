/**
 * peerproc's own batch calls on a served queue, beside the user API: a queue
 * proxy fetches items ahead (`GET_BATCH`) and writes results behind
 * (`PUT_BATCH`); the served queue answers them (queue.ts). One source for
 * both sides and for the `prefetch` option's upper bound.
 */

/**
 * Method names of the batch calls (not part of the user API). GET_BATCH takes
 * `(max, options, upTo?)`: at least the first item and up to `max` of what is
 * queued, or, when `upTo` is given, up to the caller's share of the queue as
 * it is now within `upTo` if that is more (serve.ts). PUT_BATCH takes one
 * array of results.
 */
export const GET_BATCH = '__getBatch';
export const PUT_BATCH = '__putBatch';
/** Most items one batch call may carry: bounds one message whatever a peer asks for. */
export const MAX_BATCH = 1024;

/**
 * GET_BATCH's answer: the items, and the caller's share of what is still
 * queued (divided among the peers that get from this queue). A worker's
 * window may grow straight to its share instead of doubling up from one
 * item (prefetch-window.ts): with 500 workers, a worker's whole part of a
 * run is a few hundred items, most of it spent in the ramp otherwise.
 */
export interface GetBatchReply<T> {
  items: T[];
  share: number;
}
