/**
 * The master page's engine, without DOM: hosts the task and result queues in
 * the page (the distributed-process example's master), puts a run's tasks,
 * collects the results, and keeps a per-worker account from the manager's
 * events and `workers()` call counts.
 */
import { isCorrectResult, type Jobs, parseResult, randomTask } from '../../shared/example.js';
import { BaseManager, FirstAnswers, type Logger, type ManagerEvent, type ProxyOf, Queue } from '../lib/index.js';
import type { MasterWorkerRow, RunSummary, WorkerStatus } from './hooks.js';

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

  /** Puts `count` tasks and resolves once every result is in (or rejects when stopped). */
  async runTasks(count: number, onResult: () => void): Promise<Run> {
    this.refresh();
    for (const account of this.#accounts.values()) {
      account.baseline = account.total;
      account.results = 0;
    }
    const tasks = Array.from({ length: count }, randomTask);
    const run: Run = {
      tasks,
      results: [],
      duplicates: 0,
      arrivals: [],
      startedAt: performance.now(),
      finishedAt: null,
    };
    this.run = run;
    let slice = performance.now();
    for (const n of tasks) {
      await this.#task.put(n);
      if (performance.now() - slice > SLICE_MS) slice = await yieldToBrowser();
    }
    const signal = this.#abort.signal;
    // Results name the task they answer: a task redelivered after its worker vanished may be answered twice.
    const answers = new FirstAnswers();
    while (run.results.length < count) {
      const entry = await this.#result.getEntry({ signal });
      if (!answers.accept(entry)) {
        run.duplicates = answers.duplicates;
        continue;
      }
      run.results.push(entry.value);
      run.arrivals.push(performance.now() - run.startedAt);
      onResult();
      // Results already queued come back without leaving the microtask queue: let the page paint now and then.
      if (performance.now() - slice > SLICE_MS) slice = await yieldToBrowser();
    }
    run.finishedAt = performance.now();
    this.refresh();
    return run;
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
