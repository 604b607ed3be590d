/**
 * A run's journal: its tasks and every result received, kept durably in an
 * embedded LMDB database (one file, plus LMDB's lock file beside it), so a
 * master that crashes resumes where it stopped.
 *
 * Layout: `meta` (the run's identity and size), `t/<index>` (each task,
 * written once, all in the transaction that creates the journal), `r/<index>`
 * (each task's first result). LMDB commits are atomic and, with its default
 * sync mode, durable: after a crash at any instant (SIGKILL, power loss) the
 * file holds exactly the transactions that completed. Results recorded in one
 * event-loop turn share one commit, so the journal costs one fsync per batch,
 * not per result. The commit is synchronous, and the `onDurable` listener
 * runs right after it, in the same synchronous stretch: a master that prints
 * the batch there, in one write, has at a crash printed exactly what the
 * journal holds (short of the microseconds between the commit and the write).
 */
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { RootDatabase } from 'lmdb';
import type { QueueEntry } from '../../shared/queue/queue.js';
import { isMissingPackage, MissingPackageError } from '../optional-packages.js';
import { checkJournalFile } from './check-file.js';
import { JOURNAL_ERROR_CODES, JournalError } from './errors.js';

/** What makes two runs the same run: compared field by field when a journal is reopened. */
export type RunIdentity = Readonly<Record<string, string | number>>;

/**
 * Results wait at most this long for their commit. One commit (an fsync) costs
 * about 0.4-1 ms here whatever its size: grouping a few milliseconds of
 * results keeps the journal's cost well under half the run's throughput.
 */
const COMMIT_EVERY_MS = 5;
/** Bumped when the layout changes; an older journal is refused with a clear message. */
const JOURNAL_FORMAT = 1;

interface Meta {
  format: number;
  identity: RunIdentity;
  total: number;
  createdAt: string;
}

export interface OpenJournalOptions<T> {
  /** The run this journal is for; a journal of another run is refused (unless `fresh`). */
  identity: RunIdentity;
  /** Makes the run's tasks, when the journal is new (in seed mode: the random integers). */
  createTasks: () => T[] | Promise<T[]>;
  /** Start over: delete an existing journal first. */
  fresh?: boolean;
}

/** LMDB is an optional package (native code a browser app must not install): loaded on first use. */
async function loadLmdb(): Promise<typeof import('lmdb')> {
  try {
    return await import('lmdb');
  } catch (err) {
    if (isMissingPackage(err, 'lmdb')) throw new MissingPackageError(['lmdb'], 'a journal (--journal)');
    throw err;
  }
}

const taskKey = (index: number) => `t/${index}`;
const resultKey = (index: number) => `r/${index}`;

function describeMismatch(found: RunIdentity, wanted: RunIdentity): string {
  const keys = new Set([...Object.keys(found), ...Object.keys(wanted)]);
  return [...keys]
    .filter((k) => found[k] !== wanted[k])
    .map((k) => `${k}: journal ${JSON.stringify(found[k])}, this run ${JSON.stringify(wanted[k])}`)
    .join('; ');
}

export class RunJournal<T = unknown, R = unknown> {
  readonly path: string;
  readonly total: number;
  readonly #db: RootDatabase;
  readonly #answered = new Set<number>();
  /** Queue entry id -> task index, for the tasks this process put (results name their task's entry). */
  readonly #indexOfEntry = new Map<number, number>();
  /** Results waiting for the next commit, with what to do once they are durable. */
  #batch: Array<{ index: number; result: R }> = [];
  #onDurable: (batch: ReadonlyArray<{ index: number; result: R }>, prepared: unknown) => void = () => {};
  #prepare: ((batch: ReadonlyArray<{ index: number; result: R }>) => unknown) | undefined;
  #commitScheduled = false;

  private constructor(path: string, db: RootDatabase, total: number) {
    this.path = path;
    this.#db = db;
    this.total = total;
    for (const { key } of db.getRange({ start: 'r/', end: 'r0' })) this.#answered.add(Number(String(key).slice(2)));
  }

  /** Opens (or creates) the journal at `path` for the run `identity`. */
  static async open<T, R>(path: string, options: OpenJournalOptions<T>): Promise<RunJournal<T, R>> {
    if (options.fresh) await Promise.all([rm(path, { force: true }), rm(`${path}-lock`, { force: true })]);
    const { open } = await loadLmdb();
    await checkJournalFile(path, createRequire(import.meta.url).resolve('lmdb'));
    const db = open({ path, compression: false });
    try {
      const meta = db.get('meta') as Meta | undefined;
      if (meta === undefined) {
        if (db.getKeysCount() > 0)
          throw new JournalError(JOURNAL_ERROR_CODES.corrupt, `journal ${path} has records but no header`);
        const tasks = await options.createTasks();
        await db.transaction(() => {
          for (const [index, task] of tasks.entries()) db.put(taskKey(index), task);
          db.put('meta', {
            format: JOURNAL_FORMAT,
            identity: options.identity,
            total: tasks.length,
            createdAt: new Date().toISOString(),
          } satisfies Meta);
        });
        return new RunJournal(path, db, tasks.length);
      }
      if (meta.format !== JOURNAL_FORMAT) {
        throw new JournalError(
          JOURNAL_ERROR_CODES.mismatch,
          `journal ${path} has format ${meta.format}, this peerproc reads format ${JOURNAL_FORMAT}`,
        );
      }
      const differences = describeMismatch(meta.identity, options.identity);
      if (differences) {
        throw new JournalError(
          JOURNAL_ERROR_CODES.mismatch,
          `journal ${path} is of another run (${differences}); pass --fresh to start over, or use another file`,
        );
      }
      return new RunJournal(path, db, meta.total);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  get answeredCount(): number {
    return this.#answered.size;
  }

  isAnswered(index: number): boolean {
    return this.#answered.has(index);
  }

  /** The tasks answered so far (a live view: it grows as results are recorded). */
  get answered(): ReadonlySet<number> {
    return this.#answered;
  }

  task(index: number): T {
    const task = this.#db.get(taskKey(index));
    if (task === undefined)
      throw new JournalError(JOURNAL_ERROR_CODES.corrupt, `journal ${this.path} lacks task ${index}`);
    return task as T;
  }

  /** The tasks not answered yet, in order. */
  *unanswered(): Generator<[index: number, task: T]> {
    for (let index = 0; index < this.total; index++) if (!this.#answered.has(index)) yield [index, this.task(index)];
  }

  /**
   * Puts the unanswered tasks on `queue` (a master's task queue), remembering
   * which entry is which task so that `record()` can file each result.
   * `onPut` sees each task as it goes (the CLI prints it). Returns how many were put.
   */
  async putUnanswered(
    queue: { putEntry(item: T): Promise<QueueEntry<T>> },
    onPut: (task: T, index: number) => void = () => {},
  ): Promise<number> {
    let count = 0;
    for (const [index, task] of this.unanswered()) {
      onPut(task, index);
      this.#indexOfEntry.set((await queue.putEntry(task)).id, index);
      count++;
    }
    return count;
  }

  /**
   * Files a result got with `getEntry()` under the task it answers. False for
   * a duplicate (a redelivered task answered twice) or a result that answers
   * none of this run's tasks.
   */
  record(entry: QueueEntry<R>): boolean {
    const index = entry.answers === undefined ? undefined : this.#indexOfEntry.get(entry.answers);
    return index !== undefined && this.answer(index, entry.value);
  }

  /** True once every task has a result. */
  get complete(): boolean {
    return this.#answered.size >= this.total;
  }

  /** Every answered task with its result, in task order. */
  *answers(): Generator<[index: number, task: T, result: R]> {
    for (let index = 0; index < this.total; index++) {
      if (this.#answered.has(index)) yield [index, this.task(index), this.#db.get(resultKey(index)) as R];
    }
  }

  /**
   * Called after each commit with the results it made durable, in the order
   * they were recorded: report them there, in one write, so that a crash
   * leaves reported exactly what the journal holds.
   */
  onDurable<P = undefined>(
    listener: (batch: ReadonlyArray<{ index: number; result: R }>, prepared: P) => void,
    /**
     * Runs just before the commit: whatever the listener writes can be made
     * ready here, so that between the commit and the write there is as little
     * time as possible (a crash in between loses the report, not the result).
     */
    prepare?: (batch: ReadonlyArray<{ index: number; result: R }>) => P,
  ): void {
    this.#onDurable = listener as (batch: ReadonlyArray<{ index: number; result: R }>, prepared: unknown) => void;
    this.#prepare = prepare;
  }

  /** Records the first result of task `index`; false when the task was answered already (a duplicate). */
  answer(index: number, result: R): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= this.total) {
      throw new RangeError(`task index must be an integer from 0 to ${this.total - 1}, got ${index}`);
    }
    if (this.#answered.has(index)) return false;
    this.#answered.add(index);
    this.#batch.push({ index, result });
    if (!this.#commitScheduled) {
      this.#commitScheduled = true;
      // Every result that arrives meanwhile shares the commit (and its fsync).
      setTimeout(() => this.#commit(), COMMIT_EVERY_MS);
    }
    return true;
  }

  #commit(): void {
    this.#commitScheduled = false;
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    const prepared = this.#prepare?.(batch);
    this.#db.transactionSync(() => {
      for (const { index, result } of batch) this.#db.put(resultKey(index), result);
    });
    this.#onDurable(batch, prepared);
  }

  /** Commits what is pending now (its onDurable runs before this returns). */
  flush(): void {
    this.#commit();
  }

  /** Commits what is still pending, then closes the database. */
  async close(): Promise<void> {
    this.#commit();
    await this.#db.close();
  }
}
