/**
 * The master page's job run, without DOM: serves a job module the user picked
 * (a self-contained ES module, e.g. made by `peerproc bundle`) with the tasks
 * of a tasks file, collects one outcome per task (JobRun), and keeps the
 * records for the JSON-lines download. The same surface as MasterSession, so
 * the page renders both alike.
 */
import { JobMaster } from '../../../shared/jobs/job-master.js';
import { parseTaskLines, recordLine, toJsonLine } from '../../../shared/jobs/json-lines.js';
import type { JobRecord, JobRun } from '../../../shared/jobs/master-run.js';
import type { JobDescription } from '../../../shared/jobs/protocol.js';
import { BaseManager, type Logger, type ManagerEvent } from '../../lib/index.js';
import type { MasterWorkerRow, RunSummary, WorkerStatus } from '../hooks.js';
import type { Run } from '../master-session.js';

/** A run as the page shows it: the seed's Run, with any JSON values as tasks. */
export type JobRunView = Omit<Run, 'tasks'> & { readonly tasks: readonly unknown[] };

export interface PageJob {
  /** The module's text, served as the bundle as is. */
  source: string;
  name: string;
  tasks: unknown[];
  taskTimeout: number | null;
}

/** Reads the two picked files: the job module and the tasks file (one JSON value per line). */
export async function readPageJob(jobFile: File, tasksFile: File, taskTimeout: number | null): Promise<PageJob> {
  const source = await jobFile.text();
  if (!/\bexport\b/.test(source)) throw new Error(`${jobFile.name} is not an ES module (it exports nothing)`);
  if (/^\s*import\s[^(]*?from\s*['"][^./]/m.test(source)) {
    throw new Error(
      `${jobFile.name} imports packages: bundle it first (peerproc bundle ${jobFile.name} > job.bundle.mjs) and pick the bundle`,
    );
  }
  const tasks = parseTaskLines(await tasksFile.text(), tasksFile.name);
  if (tasks.length === 0) throw new Error(`${tasksFile.name} has no tasks (one JSON value per line)`);
  return { source, name: jobFile.name.replace(/\.(m?js)$/, ''), tasks, taskTimeout };
}

/** Seconds of silence after which the page's run gives up, as `peerproc master --timeout` does. */
const STALL_SECONDS = 3_600;

export class JobMasterSession {
  readonly manager: BaseManager<Record<string, never>>;
  readonly description: JobDescription;
  readonly records: JobRecord[] = [];
  readonly #job: PageJob;
  readonly #master: JobMaster;
  readonly #status = new Map<string, { agent: string; status: WorkerStatus }>();
  readonly #abort = new AbortController();
  #rejected = 0;
  #jobRun: JobRun | undefined;
  run: JobRunView | null = null;

  private constructor(manager: BaseManager<Record<string, never>>, job: PageJob) {
    this.manager = manager;
    this.#job = job;
    this.#master = new JobMaster(manager, { source: job.source, name: job.name }, { taskTimeout: job.taskTimeout });
    this.description = this.#master.description;
    manager.on((event) => this.#onEvent(event));
  }

  static async start(address: string, authkey: string, logger: Logger, job: PageJob): Promise<JobMasterSession> {
    const manager = new BaseManager<Record<string, never>>({ address, authkey, logger });
    const session = new JobMasterSession(manager, job);
    await manager.start();
    return session;
  }

  /** Tasks in the tasks file. */
  get taskCount(): number {
    return this.#job.tasks.length;
  }

  get rejected(): number {
    return this.#rejected;
  }

  /** Runs every task of the tasks file once (`count` is the seed form's field, unused here). */
  /** `_count` and `_keeping` are the demo's (its form count, its run store): a job run is not kept. */
  async runTasks(_count: number, onResult: () => void, _keeping?: unknown): Promise<JobRunView> {
    if (this.run) throw new Error('this job has run: start the master again for another run');
    const run = {
      tasks: this.#job.tasks,
      results: [] as string[],
      duplicates: 0,
      resumed: 0,
      arrivals: [] as number[],
      startedAt: performance.now(),
      finishedAt: null as number | null,
    };
    this.run = run;
    const running = this.#master.run(this.#job.tasks, {
      timeout: STALL_SECONDS,
      signal: this.#abort.signal,
      onRecord: (record) => {
        this.records.push(record);
        run.results.push(
          record.error ? `${record.error.name}: ${record.error.message}` : toJsonLine(record.result).slice(0, 200),
        );
        run.arrivals.push(performance.now() - run.startedAt);
        onResult();
      },
    });
    const jobRun = this.#master.current as JobRun;
    this.#jobRun = jobRun;
    await running;
    run.duplicates = jobRun.duplicates;
    run.finishedAt = performance.now();
    return run;
  }

  refresh(): void {
    for (const info of this.manager.workers()) {
      const known = this.#status.get(info.peer);
      if (known?.status === 'rejected') continue;
      this.#status.set(info.peer, { agent: info.agent, status: info.authenticated ? 'connected' : 'authenticating' });
    }
    const live = new Set(this.manager.workers().map((w) => w.peer));
    for (const [peer, entry] of this.#status) {
      if (!live.has(peer) && (entry.status === 'connected' || entry.status === 'authenticating')) entry.status = 'left';
    }
  }

  rows(): MasterWorkerRow[] {
    const shares = new Map((this.#jobRun?.shares() ?? []).map((s) => [s.id, s]));
    return [...this.#status]
      .filter(([, e]) => e.status !== 'rejected')
      .map(([peer, e]) => {
        const share = shares.get(peer);
        return {
          peer,
          agent: share?.agent ?? e.agent,
          status: e.status,
          results: share ? share.results + share.errors : 0,
        };
      });
  }

  summary(): RunSummary | null {
    const run = this.run;
    const jobRun = this.#jobRun;
    if (!run || run.finishedAt === null || !jobRun) return null;
    const durationMs = run.finishedAt - run.startedAt;
    const tasks = run.tasks.length;
    return {
      tasks,
      durationMs,
      tasksPerSecond: durationMs > 0 ? (tasks * 1000) / durationMs : 0,
      verified: jobRun.results,
      errors: jobRun.errors,
      duplicates: jobRun.duplicates,
      workers: jobRun.shares().map((s) => ({
        peer: s.id,
        agent: s.agent,
        results: s.results + s.errors,
        share: (s.results + s.errors) / tasks,
      })),
    };
  }

  /** The results file: one JSON line per task, as `peerproc master --results` writes it. */
  jsonLines(): string {
    return this.records.map((r) => `${recordLine(r)}\n`).join('');
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.manager.shutdown();
  }

  #onEvent(event: ManagerEvent): void {
    if (event.type === 'auth-failed') {
      this.#rejected++;
      this.#status.set(event.peer, { agent: 'unknown', status: 'rejected' });
    }
  }
}
