/**
 * The master page's runs kept in the browser (IndexedDB, through `idb`), so
 * that reloading the page, or reopening it after the laptop slept, offers to
 * resume the unfinished run with its results so far. Like the Node journal
 * (node/journal), each task is stored once when the run starts and each
 * task's first result as it arrives, a batch per transaction; the authkey is
 * never stored.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

const DB_NAME = 'peerproc-master';
const DB_VERSION = 1;

export interface StoredRun {
  id: number;
  room: string;
  tasks: number[];
  createdAt: string;
  finished: boolean;
}

export interface StoredResult {
  runId: number;
  index: number;
  result: string;
  /** ms after the run (first) started, as the page shows it. */
  receivedMs: number;
}

interface Schema extends DBSchema {
  runs: { key: number; value: StoredRun };
  results: { key: [number, number]; value: StoredResult; indexes: { byRun: number } };
}

export class RunStore {
  readonly #db: IDBPDatabase<Schema>;

  private constructor(db: IDBPDatabase<Schema>) {
    this.#db = db;
  }

  static async open(): Promise<RunStore> {
    const db = await openDB<Schema>(DB_NAME, DB_VERSION, {
      upgrade(database) {
        database.createObjectStore('runs', { keyPath: 'id', autoIncrement: true });
        const results = database.createObjectStore('results', { keyPath: ['runId', 'index'] });
        results.createIndex('byRun', 'runId');
      },
    });
    return new RunStore(db);
  }

  /** Records a new run's tasks; returns its id. */
  async create(room: string, tasks: number[]): Promise<number> {
    const run: Omit<StoredRun, 'id'> = { room, tasks, createdAt: new Date().toISOString(), finished: false };
    return this.#db.add('runs', run as StoredRun);
  }

  /** Stores a batch of first results in one transaction. */
  async record(batch: readonly StoredResult[]): Promise<void> {
    if (batch.length === 0) return;
    const tx = this.#db.transaction('results', 'readwrite');
    await Promise.all([...batch.map((r) => tx.store.put(r)), tx.done]);
  }

  async finish(runId: number): Promise<void> {
    const run = await this.#db.get('runs', runId);
    if (run) await this.#db.put('runs', { ...run, finished: true });
  }

  /** Forgets a run and its results. */
  async discard(runId: number): Promise<void> {
    const tx = this.#db.transaction(['runs', 'results'], 'readwrite');
    const keys = await tx.objectStore('results').index('byRun').getAllKeys(runId);
    await Promise.all([
      ...keys.map((k) => tx.objectStore('results').delete(k)),
      tx.objectStore('runs').delete(runId),
      tx.done,
    ]);
  }

  /** The newest run that did not finish, if any. */
  async unfinished(): Promise<StoredRun | undefined> {
    const runs = await this.#db.getAll('runs');
    return runs.filter((r) => !r.finished).sort((a, b) => b.id - a.id)[0];
  }

  /** A run's stored results, in task order. */
  async results(runId: number): Promise<StoredResult[]> {
    const results = await this.#db.getAllFromIndex('results', 'byRun', runId);
    return results.sort((a, b) => a.index - b.index);
  }
}
