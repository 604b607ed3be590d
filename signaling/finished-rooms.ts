/**
 * Rooms whose master shut down cleanly, remembered for a short while, so a
 * worker that arrives just after the run ended (it was slow to start, or was
 * connecting while the master finished) learns that the work is over instead
 * of waiting its whole `--wait` for a master that will not come.
 *
 * A master that registers on the room again clears the mark at once.
 */

/**
 * How long the end of a run is remembered: long enough to cover workers that
 * start late together with their master (30 processes on a small machine take
 * several seconds), short enough that workers started for the next run on the
 * same room, before its master, still wait for it.
 */
export const FINISHED_ROOM_MEMORY_MS = 30_000;

export interface FinishedMark {
  /** The id of the master that finished. */
  peer: string;
  /** performance.now() when it finished. */
  at: number;
}

export class FinishedRooms {
  readonly #marks = new Map<string, FinishedMark>();

  /** At most this many rooms are remembered (the server's room limit); the oldest mark goes first. */
  constructor(private readonly capacity: number) {}

  mark(room: string, peer: string, now = performance.now()): void {
    this.#marks.delete(room);
    this.#marks.set(room, { peer, at: now });
    // Maps iterate in insertion order: the first key is the oldest mark.
    while (this.#marks.size > this.capacity) this.#marks.delete(this.#marks.keys().next().value as string);
  }

  clear(room: string): void {
    this.#marks.delete(room);
  }

  /** The room's recent clean end, if any. */
  get(room: string, now = performance.now()): FinishedMark | undefined {
    const mark = this.#marks.get(room);
    if (mark && now - mark.at > FINISHED_ROOM_MEMORY_MS) {
      this.#marks.delete(room);
      return undefined;
    }
    return mark;
  }
}
