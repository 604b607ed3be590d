/**
 * Keeps the event loop polling for a moment after each reply to a Python
 * client, instead of letting the process go idle until the next request.
 *
 * A classic CPython worker makes one blocking call after another (`get`,
 * then `put`, then `get`…), each a TCP round trip, so its speed is the round
 * trip. On a virtual machine, waking an idle process costs more than serving
 * the call: a Node echo server answers a CPython client in about 60 µs per
 * round trip on this project's 2-core test machine, and in about 24 µs when
 * its loop is still polling when the next request lands (docs/performance.md).
 * CPython's own manager server, whose threads keep the process warm, sits
 * between the two.
 *
 * The poll is `setImmediate` turns: each turn libuv checks the sockets
 * without blocking, so requests and every other event (WebRTC, timers) are
 * served as usual, in the same order. It stops `windowMs` after the last
 * reply: a busy listener keeps about one core polling, an idle one nothing.
 */

import { ConfigError } from '../../shared/errors.js';

/** How long the loop keeps polling after a reply, in ms (0.2 ms: a few calls' worth). */
export const DEFAULT_BUSY_POLL_MS = 0.2;

export class BusyPoll {
  readonly #windowMs: number;
  #until = 0;
  #polling = false;

  /** `windowMs` 0 turns it off. */
  constructor(windowMs = DEFAULT_BUSY_POLL_MS) {
    if (!Number.isFinite(windowMs) || windowMs < 0) {
      throw new ConfigError(`'busyPollMs' must be a number of ms ≥ 0, got ${windowMs}`);
    }
    this.#windowMs = windowMs;
  }

  /** Whether the loop is being kept polling now (for tests). */
  get polling(): boolean {
    return this.#polling;
  }

  /** A reply went out: keep polling until `windowMs` from now. */
  kick(): void {
    if (this.#windowMs === 0) return;
    this.#until = performance.now() + this.#windowMs;
    if (this.#polling) return;
    this.#polling = true;
    setImmediate(this.#turn);
  }

  readonly #turn = (): void => {
    if (performance.now() < this.#until) setImmediate(this.#turn);
    else this.#polling = false;
  };
}
