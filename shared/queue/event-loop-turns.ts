/**
 * Calls that resolve at once (a local `put()` into a queue with room) never
 * give the event loop a turn: `await` on a resolved promise is a microtask, so
 * a master putting a million tasks would accept no worker and answer no
 * heartbeat until it is done. `turnIfDue()` returns a promise that resolves on
 * a macrotask once the current run of such calls has held the loop for its
 * slice, and undefined otherwise (the fast path stays allocation-free).
 *
 * The slice is SLICE_MS, or as long as the turn the run last yielded to took,
 * up to MAX_SLICE_MS: a master serving 500 workers spends 100-500 ms in a
 * turn, and with short slices its put loop got 2-5 % of its time, so the
 * workers found the queue almost empty at every turn, asked again and again
 * for a few items, and the messages that cost were what held the run back.
 * A quiet master's turns are short, so its slices stay at SLICE_MS.
 *
 * In a browser the yield is a MessageChannel message, not a timer: nested
 * 0 ms timers wait 4 ms there, and a master page's put loop idled that long
 * at every slice (see `yieldTurn`).
 */

/** Shortest run of synchronous fast-path calls before the event loop gets a turn. */
const SLICE_MS = 10;
/** Longest: a busy master's loop is held no longer than this (its own turns already take that long). */
const MAX_SLICE_MS = 100;
/** The clock is read only every this many calls: it costs more than the call itself. */
const CHECK_EVERY = 256;

/** Node's setImmediate, looked up once (browsers have none; shared/ may not import Node's timers). */
const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;

/** The part of a MessageChannel used here (shared/ is compiled without the DOM's types). */
interface ChannelPorts {
  port1: { onmessage: (() => void) | null };
  port2: { postMessage(message: null): void };
}
const MessageChannelClass = (globalThis as unknown as { MessageChannel?: new () => ChannelPorts }).MessageChannel;

/** Callbacks waiting for the browser's MessageChannel to deliver its message, run in the order asked. */
let channelCallbacks: Array<() => void> = [];
let channel: ChannelPorts | undefined;

function postToChannel(Channel: new () => ChannelPorts, callback: () => void): void {
  if (!channel) {
    channel = new Channel();
    channel.port1.onmessage = () => {
      const due = channelCallbacks;
      channelCallbacks = [];
      for (const run of due) run();
    };
  }
  channelCallbacks.push(callback);
  if (channelCallbacks.length === 1) channel.port2.postMessage(null);
}

/**
 * Runs `callback` on the next macrotask, after the I/O already waiting: Node's
 * check phase (setImmediate), a MessageChannel message in a browser (no timer
 * clamp), a 0 ms timer where neither exists.
 */
export function nextMacrotask(callback: () => void): void {
  if (immediate) immediate(callback);
  else if (MessageChannelClass) postToChannel(MessageChannelClass, callback);
  else setTimeout(callback, 0);
}

/**
 * The put loop's yield and its marker, first asked first run. In Node a 0 ms
 * timer: after a long synchronous run the loop's clock is behind, so the
 * timer is due at the next turn without waiting, and it runs before that
 * turn's poll, as the many-workers measurements were made with (two
 * setImmediates, which poll first, made 500 workers 30 % slower: 88k-102k ->
 * 61k-66k tasks/s). Elsewhere the next macrotask: in a browser a
 * MessageChannel message, since nested 0 ms timers wait 4 ms there.
 */
function yieldTurn(callback: () => void): void {
  if (immediate) setTimeout(callback, 0);
  else nextMacrotask(callback);
}

let calls = 0;
/** When the event loop last ran our marker (a turn was taken), or when the marker was set. */
let lastTurn = performance.now();
let markerPending = false;
let sliceMs = SLICE_MS;

/** The slice after a yield whose turn took `turnMs`: as long as the turn, within SLICE_MS and MAX_SLICE_MS. */
export function nextSliceMs(turnMs: number): number {
  return Math.min(Math.max(turnMs, SLICE_MS), MAX_SLICE_MS);
}

function markTurn(): void {
  markerPending = false;
  lastTurn = performance.now();
  // A turn the loop took by itself (the run awaited something real): the next run starts with the short slice.
  sliceMs = SLICE_MS;
}

/** A promise to await before going on when the loop is due a turn; undefined when it is not. */
export function turnIfDue(): Promise<void> | undefined {
  if (++calls % CHECK_EVERY !== 0) return undefined;
  const now = performance.now();
  if (!markerPending) {
    // A marker that runs as soon as the loop turns: if it has not run a slice later, the loop is starved.
    markerPending = true;
    lastTurn = now;
    yieldTurn(markTurn);
    return undefined;
  }
  if (now - lastTurn < sliceMs) return undefined;
  return new Promise((resolve) =>
    yieldTurn(() => {
      // Runs after markTurn (asked for earlier): the turn just taken sizes the next slice.
      sliceMs = nextSliceMs(performance.now() - now);
      resolve();
    }),
  );
}

/**
 * Resolves once the code running now, and the run of fast-path calls it may
 * be in the middle of, has given the event loop a turn. A batch getter woken
 * by the first item of a master's put loop waits for this before it gathers
 * more, so it leaves with the loop's slice instead of one item.
 */
export function afterThisTurn(): Promise<void> {
  return new Promise((resolve) => nextMacrotask(resolve));
}
