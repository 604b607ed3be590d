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
