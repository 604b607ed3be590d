/**
 * Exactly-once reporting on top of at-least-once delivery: results name the
 * task they answer (`QueueEntry.answers`), so a master keeps the first result
 * of each task and counts the others (answers to redelivered tasks) as
 * duplicates. Results that answer no task (put by a peer holding no lease, or
 * locally) are always kept.
 */
import type { QueueEntry } from './queue.js';

export class FirstAnswers {
  readonly #answered = new Set<number>();
  #accepted = 0;
  #duplicates = 0;

  /** True for the first result of its task (report it), false for a duplicate. */
  accept(entry: QueueEntry<unknown>): boolean {
    if (entry.answers !== undefined) {
      if (this.#answered.has(entry.answers)) {
        this.#duplicates++;
        return false;
      }
      this.#answered.add(entry.answers);
    }
    this.#accepted++;
    return true;
  }

  /** Results kept so far. */
  get accepted(): number {
    return this.#accepted;
  }

  get duplicates(): number {
    return this.#duplicates;
  }
}
