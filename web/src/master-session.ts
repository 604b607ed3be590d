/**
 * The master page's engine, without DOM: hosts the task and result queues in
 * the page (the distributed-process example's master), puts a run's tasks,
 * collects the results, and keeps a per-worker account from the manager's
 * events and `workers()` call counts.
 */
import { isCorrectResult, type Jobs, parseResult, randomTask } from '../../shared/example.js';
import { BaseManager, type Logger, type ManagerEvent, type ProxyOf, Queue } from '../lib/index.js';
import type { MasterWorkerRow, RunSummary, WorkerStatus } from './hooks.js';
import type { RunStore, StoredResult, StoredRun } from './run-store.js';

/** Longest stretch of queue work before the page gets the event loop back (about one frame). */
const SLICE_MS = 16;

function yieldToBrowser(): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(performance.now()), 0));
}

/** The call that returns one result: what a worker's share is counted from. */
const RESULT_CALL = 'get_result_queue.put';

interface Account extends MasterWorkerRow {
  /** Results returned before the current run started (runs share one connection). */
  baseline: number;
  /** All results this worker returned while connected. */
  total: number;
}

export interface Run {
  readonly tasks: number[];
  /** One result per task, in arrival order (a redelivered task's second result is counted in `duplicates`). */
  readonly results: string[];
  duplicates: number;
  /** Arrival time of each result, ms after the run started. */
  readonly arrivals: number[];
  readonly startedAt: number;
  finishedAt: number | null;
  /** Results carried over from the stored run this one resumed (0 for a fresh run). */
  readonly resumed: number;
}

/** Where a run is kept, and the stored run to resume (its tasks and the results it already has). */
export interface RunKeeping {
  store: RunStore;
  room: string;
  resume?: { stored: StoredRun; results: StoredResult[] };
}

/** A run of `tasks`, carrying over the results a stored run already has (none for a fresh run). */
function newRun(tasks: number[], carried: readonly StoredResult[]): Run {
  return {
    tasks,
    results: carried.map((r) => r.result),
    duplicates: 0,
    arrivals: carried.map((r) => r.receivedMs),
    // A resumed run's clock goes on from its last stored arrival.
    startedAt: performance.now() - Math.max(0, ...carried.map((r) => r.receivedMs)),
    finishedAt: null,
    resumed: carried.length,
  };
}

/**
 * Writes results to the run store in batches, in order: each `save()` queues
 * the results added since the last one behind the batches before it. Without
 * a store it only forgets them.
 */
class ResultSaver {
  readonly #store: RunStore | undefined;
  #unsaved: StoredResult[] = [];
  #saving: Promise<void> = Promise.resolve();

  constructor(store: RunStore | undefined) {
    this.#store = store;
  }

  add(result: StoredResult): void {
    this.#unsaved.push(result);
  }

  save(): void {
    const batch = this.#unsaved;
    this.#unsaved = [];
    const store = this.#store;
    if (store && batch.length > 0) this.#saving = this.#saving.then(() => store.record(batch));
  }

  /** Resolves once every batch saved so far is written (the run is marked finished only after that). */
  flushed(): Promise<void> {
    return this.#saving;
  }
}

export class MasterSession {
  readonly manager: BaseManager<Jobs>;
  readonly #accounts = new Map<string, Account>();
  #rejected = 0;
  #task!: ProxyOf<Queue<number>>;
  #result!: ProxyOf<Queue<string>>;
  #abort = new AbortController();
  run: Run | null = null;

  private constructor(manager: BaseManager<Jobs>) {
    this.manager = manager;
    manager.on((event) => this.#onEvent(event));
  }

  /** Takes the room; rejects with AddressInUseError when it already has a master. */
  static async start(address: string, authkey: string, logger: Logger): Promise<MasterSession> {
    const taskQueue = new Queue<number>();
    const resultQueue = new Queue<string>();
    const manager = new BaseManager<Jobs>({ address, authkey, logger });
    manager.register('get_task_queue', () => taskQueue);
    manager.register('get_result_queue', () => resultQueue);
    const session = new MasterSession(manager);
    await manager.start();
    session.#task = await manager.get_task_queue();
    session.#result = await manager.get_result_queue();
    return session;
  }

  get rejected(): number {
    return this.#rejected;
  }

  /**
   * Puts `count` tasks (or, resuming, the stored run's unanswered ones) and
   * resolves once every task has a result (or rejects when stopped). With
   * `keeping`, the run and each first result are kept in the browser.
   */
  async runTasks(count: number, onResult: () => void, keeping?: RunKeeping): Promise<Run> {
    this.refresh();
    for (const account of this.#accounts.values()) {
      account.baseline = account.total;
      account.results = 0;
    }
    const resume = keeping?.resume;
    const run = newRun(resume?.stored.tasks ?? Array.from({ length: count }, randomTask), resume?.results ?? []);
    // Set before the first await: the page shows `run` as soon as runTasks is called.
    this.run = run;
    const answered = new Set<number>(resume?.results.map((r) => r.index));
    const runId = resume?.stored.id ?? (await keeping?.store.create(keeping.room, run.tasks));
    const indexOf = await this.#putUnanswered(run.tasks, answered);
    const saver = new ResultSaver(runId === undefined ? undefined : keeping?.store);
    await this.#collect(
      run,
      answered,
      indexOf,
      (index, result, receivedMs) => {
        if (runId !== undefined) saver.add({ runId, index, result, receivedMs });
        onResult();
      },
      saver,
    );
    await saver.flushed();
    if (keeping && runId !== undefined) await keeping.store.finish(runId);
    run.finishedAt = performance.now();
    this.refresh();
    return run;
  }

  /**
   * Puts every task not yet answered; resolves with a map from each queue
   * entry's id to its task's index (results name the entry they answer).
   */
  async #putUnanswered(tasks: readonly number[], answered: ReadonlySet<number>): Promise<Map<number, number>> {
    let slice = performance.now();
    const indexOf = new Map<number, number>();
    for (const [index, n] of tasks.entries()) {
      if (answered.has(index)) continue;
      indexOf.set((await this.#task.putEntry(n)).id, index);
      if (performance.now() - slice > SLICE_MS) slice = await yieldToBrowser();
    }
    return indexOf;
  }

  /**
   * Takes results until every task has one. A redelivered task may be answered
   * twice: its second result is counted in `duplicates`, not kept.
   */
  async #collect(
    run: Run,
    answered: Set<number>,
    indexOf: ReadonlyMap<number, number>,
    onFirst: (index: number, result: string, receivedMs: number) => void,
    saver: ResultSaver,
  ): Promise<void> {
    let slice = performance.now();
    const signal = this.#abort.signal;
    while (run.results.length < run.tasks.length) {
      const entry = await this.#result.getEntry({ signal });
      const index = entry.answers === undefined ? undefined : indexOf.get(entry.answers);
      if (index === undefined || answered.has(index)) {
        run.duplicates++;
        continue;
      }
      answered.add(index);
      const receivedMs = performance.now() - run.startedAt;
      run.results.push(entry.value);
      run.arrivals.push(receivedMs);
      onFirst(index, entry.value, receivedMs);
      // Results already queued come back without leaving the microtask queue: let the page paint now and then.
      if (performance.now() - slice > SLICE_MS) {
        saver.save();
        slice = await yieldToBrowser();
      }
    }
    saver.save();
  }

  /** Reads the manager's worker list: who is connected, and how many results each returned. */
  refresh(): void {
    const seen = new Set<string>();
    for (const info of this.manager.workers()) {
      seen.add(info.peer);
      const account = this.#account(info.peer);
      account.agent = info.agent;
      if (account.status !== 'rejected') account.status = info.authenticated ? 'connected' : 'authenticating';
      account.total = info.calls[RESULT_CALL] ?? 0;
      account.results = account.total - account.baseline;
    }
    for (const account of this.#accounts.values()) {
      if (!seen.has(account.peer) && (account.status === 'connected' || account.status === 'authenticating')) {
        account.status = 'left';
      }
    }
  }

  /** Workers worth showing: everyone who authenticated, plus the ones still proving their key. */
  rows(): MasterWorkerRow[] {
    return [...this.#accounts.values()]
      .filter((a) => a.status !== 'rejected' && (a.status !== 'left' || a.total > 0 || a.agent !== 'unknown'))
      .map(({ peer, agent, status, results }) => ({ peer, agent, status, results }));
  }

  summary(): RunSummary | null {
    const run = this.run;
    if (!run || run.finishedAt === null) return null;
    const durationMs = run.finishedAt - run.startedAt;
    const pending = new Map<number, number>();
    for (const n of run.tasks) pending.set(n, (pending.get(n) ?? 0) + 1);
    let verified = 0;
    for (const text of run.results) {
      const parsed = parseResult(text);
      const left = parsed ? (pending.get(parsed.n) ?? 0) : 0;
      if (parsed && left > 0 && isCorrectResult(text, parsed.n)) {
        verified++;
        pending.set(parsed.n, left - 1);
      }
    }
    const workers = this.rows()
      .filter((row) => row.results > 0)
      .sort((a, b) => b.results - a.results)
      .map((row) => ({
        peer: row.peer,
        agent: row.agent,
        results: row.results,
        share: row.results / run.tasks.length,
      }));
    return {
      tasks: run.tasks.length,
      duplicates: run.duplicates,
      durationMs,
      tasksPerSecond: durationMs > 0 ? (run.tasks.length * 1000) / durationMs : 0,
      verified,
      workers,
    };
  }

  /** Tells the workers and leaves the room. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.manager.shutdown();
  }

  #account(peer: string): Account {
    let account = this.#accounts.get(peer);
    if (!account) {
      account = { peer, agent: 'unknown', status: 'authenticating', results: 0, baseline: 0, total: 0 };
      this.#accounts.set(peer, account);
    }
    return account;
  }

  #onEvent(event: ManagerEvent): void {
    const setStatus = (peer: string, status: WorkerStatus) => {
      this.#account(peer).status = status;
    };
    switch (event.type) {
      case 'worker-connecting':
        setStatus(event.peer, 'authenticating');
        break;
      case 'worker-authenticated':
        setStatus(event.peer, 'connected');
        break;
      case 'worker-left':
        setStatus(event.peer, 'left');
        break;
      case 'auth-failed':
        this.#rejected++;
        setStatus(event.peer, 'rejected');
        break;
      default:
        break;
    }
  }
}
