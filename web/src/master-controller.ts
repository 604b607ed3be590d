/**
 * The master page's state, without DOM: what the page is doing (idle,
 * starting, running...), the session that holds the room and its queues, and
 * the run's summary. The page asks it to start and stop runs, and renders its
 * `snapshot()`; every change is announced through `events`.
 */

import type { JobRecord } from '../../shared/jobs/index.js';
import { AddressInUseError, ConnectionClosedError, type Logger, SignalingError } from '../lib/index.js';
import { addressProblem, roomOf } from './address.js';
import { formatCount } from './format.js';
import type { MasterState, MasterWorkerRow, RunSummary } from './hooks.js';
import { JobMasterSession, type JobRunView, readPageJob } from './jobs/job-master-session.js';
import { MasterSession, type Run } from './master-session.js';
import type { RunStore, StoredResult, StoredRun } from './run-store.js';

/** Most tasks one run may have: a million keeps the page's arrays in memory comfortably. */
export const MAX_TASKS = 1_000_000;

/** Everything the renderers show, read at one moment. */
export interface MasterSnapshot {
  readonly state: MasterState;
  readonly error: string | null;
  readonly address: string | null;
  /** The current (or last) run; its arrays grow while it runs. */
  readonly run: Readonly<Run> | null;
  readonly workers: readonly MasterWorkerRow[];
  /** Workers turned away for a wrong authkey, since the master started. */
  readonly rejected: number;
  readonly summary: RunSummary | null;
  /** A job run's records (task, result or error, worker), in arrival order; undefined for the square demo. */
  readonly records: readonly JobRecord[] | undefined;
}

export interface MasterEvents {
  /** The state, the error or the summary changed. */
  changed(): void;
  /** A run started (its tasks are being put). */
  runStarted(run: Readonly<Run>): void;
  /** A result came in. */
  resultArrived(): void;
  /** The run's last result came in. */
  runFinished(run: Readonly<Run>): void;
}

export interface RunRequest {
  address: string;
  authkey: string;
  /** As typed: validated here. */
  tasks: string;
  /** A run kept in this browser to resume (its tasks and results so far) instead of new tasks. */
  resume?: { stored: StoredRun; results: StoredResult[] };
  /** A job module and its tasks file (jobs/job-master-session.ts) instead of the square demo. */
  job?: { module: File; tasks: File; taskTimeout: number | null };
}

function describeStartFailure(err: Error, address: string): string {
  if (err instanceof AddressInUseError) {
    return `Room “${roomOf(address)}” already has a master (address in use). Choose another room or stop that master.`;
  }
  if (err instanceof SignalingError) return `The signaling server refused: ${err.message}`;
  if (err instanceof ConnectionClosedError) return `Cannot reach the signaling server at ${address}: ${err.message}`;
  return err.message;
}

export class MasterController {
  #state: MasterState = 'idle';
  #error: string | null = null;
  #session: MasterSession | JobMasterSession | undefined;
  #address: string | null = null;
  #authkey = '';
  #summary: RunSummary | null = null;
  /** Where runs are kept (unset where IndexedDB is unavailable: runs then live in memory only). */
  store: RunStore | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly events: MasterEvents,
  ) {}

  get state(): MasterState {
    return this.#state;
  }

  /** The key the running master was started with (for the worker link with key). */
  get authkey(): string {
    return this.#authkey;
  }

  snapshot(): MasterSnapshot {
    const session = this.#session;
    session?.refresh();
    return {
      state: this.#state,
      error: this.#error,
      address: this.#address,
      // A job run's tasks are any JSON values: the renderers show them through `records`.
      run: (session?.run as Readonly<Run> | null | undefined) ?? null,
      workers: session?.rows() ?? [],
      rejected: session?.rejected ?? 0,
      summary: this.#summary,
      records: session instanceof JobMasterSession ? session.records : undefined,
    };
  }

  /** Starts the master if needed (taking the room), then runs `tasks` tasks. */
  /** The job master of the current run, if it serves a job. */
  get jobSession(): JobMasterSession | undefined {
    return this.#session instanceof JobMasterSession ? this.#session : undefined;
  }

  async startRun(request: RunRequest): Promise<void> {
    const count = request.resume ? request.resume.stored.tasks.length : Number(request.tasks);
    const job = request.resume ? undefined : request.job;
    // A job master serves one job for one run; another run (or the demo) is a new master.
    if (this.#session && (this.#session instanceof JobMasterSession || job)) {
      const previous = this.#session;
      this.#session = undefined;
      await previous.stop().catch(() => {});
    }
    if (!job && (!Number.isInteger(count) || count < 1 || count > MAX_TASKS)) {
      this.#set(
        this.#state === 'done' ? 'done' : 'idle',
        `Tasks must be a whole number from 1 to ${formatCount(MAX_TASKS)}.`,
      );
      return;
    }
    const session = this.#session ?? (await this.#startSession(request, job));
    if (!session) return;
    this.#summary = null;
    this.#set('running');
    let run: Readonly<Run> | Readonly<JobRunView>;
    try {
      const keeping = this.store && { store: this.store, room: roomOf(this.#address ?? ''), resume: request.resume };
      const running = session.runTasks(count, () => this.events.resultArrived(), job ? undefined : keeping);
      // The run object exists as soon as runTasks starts.
      if (session.run) this.events.runStarted(session.run as Readonly<Run>);
      run = await running;
    } catch (err) {
      if (this.#session === session) this.#set('error', (err as Error).message);
      return;
    }
    if (this.#session !== session) return;
    this.events.runFinished(run as Readonly<Run>);
    session.refresh();
    this.#summary = session.summary();
    this.#set('done');
  }

  /** Leaves the room (workers are told at once); the page can start again after. */
  async stop(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.stop().catch(() => {});
    this.#address = null;
    this.#set('stopped');
  }

  /**
   * The page is going away: stop without waiting or re-rendering, so workers
   * learn at once. But a run in progress that this browser keeps is not over:
   * the page just goes (as a crash would), and its workers wait for it to come back.
   */
  leave(): void {
    if (this.store && this.#state === 'running' && this.#session instanceof MasterSession) return;
    void this.#session?.stop();
  }

  async #startSession(
    request: RunRequest,
    job: RunRequest['job'],
  ): Promise<MasterSession | JobMasterSession | undefined> {
    const address = request.address.trim();
    const problem = addressProblem(address);
    if (problem) {
      this.#set('error', problem);
      return undefined;
    }
    if (!request.authkey) {
      this.#set('error', 'Choose an authkey: workers must know it to join.');
      return undefined;
    }
    this.#authkey = request.authkey;
    this.#set('starting');
    let started: MasterSession | JobMasterSession;
    try {
      started = job
        ? await JobMasterSession.start(
            address,
            request.authkey,
            this.logger,
            await readPageJob(job.module, job.tasks, job.taskTimeout),
          )
        : await MasterSession.start(address, request.authkey, this.logger);
    } catch (err) {
      if (this.#state === 'starting') this.#set('error', describeStartFailure(err as Error, address));
      return undefined;
    }
    if (this.#state !== 'starting') {
      // Stopped while starting: leave the room again at once.
      await started.stop().catch(() => {});
      return undefined;
    }
    this.#session = started;
    this.#address = address;
    return started;
  }

  #set(state: MasterState, error: string | null = null): void {
    this.#state = state;
    this.#error = error;
    this.events.changed();
  }
}
