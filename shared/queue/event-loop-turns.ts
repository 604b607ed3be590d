/**
 * Calls that resolve at once (a local `put()` into a queue with room) never
 * give the event loop a turn: `await` on a resolved promise is a microtask, so
 * a master putting a million tasks would accept no worker and answer no
 * heartbeat until it is done. `turnIfDue()` returns a promise that resolves on
 * a macrotask once the current run of such calls has held the loop for
 * SLICE_MS, and undefined otherwise (the fast path stays allocation-free).
 */

/** Longest run of synchronous fast-path calls before the event loop gets a turn. */
const SLICE_MS = 10;
/** The clock is read only every this many calls: it costs more than the call itself. */
const CHECK_EVERY = 256;

let calls = 0;
/** When the event loop last ran our marker timer (a turn was taken), or when the marker was set. */
let lastTurn = performance.now();
let markerPending = false;

function markTurn(): void {
  markerPending = false;
  lastTurn = performance.now();
}

/** A promise to await before going on when the loop is due a turn; undefined when it is not. */
export function turnIfDue(): Promise<void> | undefined {
  if (++calls % CHECK_EVERY !== 0) return undefined;
  const now = performance.now();
  if (!markerPending) {
    // A timer that runs as soon as the loop turns: if it has not run SLICE_MS later, the loop is starved.
    markerPending = true;
    lastTurn = now;
    setTimeout(markTurn, 0);
    return undefined;
  }
  if (now - lastTurn < SLICE_MS) return undefined;
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Node's setImmediate, looked up once (browsers have none; shared/ may not import Node's timers). */
const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;

/**
 * Resolves once the code running now, and the run of fast-path calls it may
 * be in the middle of, has given the event loop a turn: on Node's check
 * phase (after I/O, before the next timer) where there is one, else on the
 * next timer. A batch getter woken by the first item of a master's put loop
 * waits for this before it gathers more, so it leaves with the loop's slice
 * instead of one item.
 */
export function afterThisTurn(): Promise<void> {
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}
