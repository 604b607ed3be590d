/**
 * The worker page's engine, without DOM: connects to the room's master,
 * pulls tasks until told to stop, and comes back by itself when the master
 * goes away and a master appears again (a fresh manager each time, as a
 * restarted Python worker would do).
 *
 *   loop: connect -> task.get({timeout: 1}) -> compute -> result.put(...)
 *         Empty: keep polling (a page stays available; a Node worker exits instead)
 *         master gone: new manager, connect() again after a short backoff
 *         wrong authkey: stop and say so (retrying a wrong key cannot help)
 */

import { backoffDelay } from '../../shared/backoff.js';
import type { Jobs } from '../../shared/example.js';
import { JobIntegrityError, JobLoadError } from '../../shared/jobs/errors.js';
import type { JobDescription, JobOutcome } from '../../shared/jobs/protocol.js';
import {
  AuthenticationError,
  BaseManager,
  ConfigError,
  ConnectTimeoutError,
  Empty,
  type ErrorCode,
  errorCode,
  type Logger,
  PeerShutdownError,
  SignalingError,
} from '../lib/index.js';
import type { WorkerState } from './hooks.js';
import { workOnJob } from './jobs/job-work.js';

/** Seconds one `task.get` waits before reporting Empty (then the page polls again). */
export const POLL_SECONDS = 1;
/**
 * Seconds one connect() waits for a master before starting over. Long enough
 * that hundreds of idle tabs do not hammer the signaling server with
 * re-registrations; short enough that a problem shows within half a minute.
 */
export const CONNECT_WAIT_SECONDS = 20;
/**
 * Pause between connect() attempts: about min(1 s * 2^attempt, 10 s), with
 * shared/backoff.ts's jitter so that a crowd of tabs does not retry in step.
 * Each attempt already listens for a master for CONNECT_WAIT_SECONDS, so this
 * only spaces out failures (server down); kept short so a master that appears
 * meanwhile is found within seconds.
 */
export const RECONNECT_MIN_MS = 1_000;
export const RECONNECT_MAX_MS = 10_000;

const reconnectDelay = (attempt: number): number => backoffDelay(attempt, RECONNECT_MIN_MS, RECONNECT_MAX_MS);

export interface VolunteerOptions {
  address: string;
  authkey: string;
  compute(n: unknown): Promise<string>;
  /** Most seed tasks computing at once (1: one after another, as the seed's loop; more: in batches). */
  inFlight: number;
  logger: Logger;
  /** Called on every state change, with a human reason and the error's stable code when something failed. */
  onState(state: WorkerState, reason: string | null, code?: ErrorCode | null): void;
  onResult(text: string): void;
  /** Free-text activity for the page's log ("connected to master 3fa2c1d0"). */
  onActivity(message: string): void;
  /** True while the worker has tasks; false while the queue is empty. */
  onBusy(busy: boolean): void;
  /** Web Workers for a master's job (its sandbox's pool). */
  threads: number;
  /** The master serves a job (null: the seed's square). */
  onJob(job: { description: JobDescription; threads: number } | null): void;
  /** Each job task's outcome, once it is in the master's result queue. */
  onJobOutcome(outcome: JobOutcome): void;
}

export class Volunteer {
  readonly #options: VolunteerOptions;
  #stopped = false;
  #manager: BaseManager<Jobs> | undefined;
  #wake: (() => void) | undefined;
  /** Settles when the connect-and-work loop has ended (wrong key, bad settings, or stopped). */
  readonly finished: Promise<void>;

  constructor(options: VolunteerOptions) {
    this.#options = options;
    this.finished = this.#run();
  }

  /**
   * Disconnects for good (the page's Disconnect button). Reports 'stopped' at
   * once; a connect() still in flight is closed when it settles.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wake?.();
    this.#options.onState('stopped', null);
    this.#options.onActivity('disconnected');
    await this.#manager?.shutdown().catch(() => {});
  }

  // Once stopped, the loop winds down silently: stop() has said all there is to say.
  #state(state: WorkerState, reason: string | null, code: ErrorCode | null = null): void {
    if (!this.#stopped) this.#options.onState(state, reason, code);
  }

  #activity(message: string): void {
    if (!this.#stopped) this.#options.onActivity(message);
  }

  async #run(): Promise<void> {
    let failures = 0;
    let sessions = 0;
    while (!this.#stopped) {
      if (sessions === 0 && failures === 0) this.#state('waiting', null);
      const manager = this.#newManager();
      const outcome = await this.#connect(manager, sessions > 0);
      if (outcome === 'give-up' || this.#stopped) break;
      if (outcome === 'retry') {
        await this.#sleep(reconnectDelay(failures++));
        continue;
      }
      failures = 0;
      sessions++;
      this.#state('working', null);
      this.#activity(sessions === 1 ? 'connected and authenticated' : 'reconnected to a master');
      const jobFailed = await this.#session(manager);
      if (this.#stopped) break;
      // The same job would fail the same way: look again only now and then (the master may change it).
      await this.#sleep(jobFailed ? RECONNECT_MAX_MS : reconnectDelay(0));
    }
  }

  #newManager(): BaseManager<Jobs> {
    const manager = new BaseManager<Jobs>({
      address: this.#options.address,
      authkey: this.#options.authkey,
      wait: CONNECT_WAIT_SECONDS,
      logger: this.#options.logger,
    });
    manager.register('get_task_queue');
    manager.register('get_result_queue');
    manager.register('get_job');
    this.#manager = manager;
    return manager;
  }

  /** One connect(): a wrong key or bad settings end the loop; anything else is retried. */
  async #connect(manager: BaseManager<Jobs>, hadSession: boolean): Promise<'connected' | 'retry' | 'give-up'> {
    try {
      await manager.connect();
    } catch (err) {
      if (this.#stopped) return 'give-up';
      if (err instanceof AuthenticationError) {
        this.#state('auth-failed', err.message, err.code);
        this.#activity(`authentication failed: ${err.message}`);
        return 'give-up';
      }
      if (err instanceof ConfigError) {
        this.#state('error', err.message, err.code);
        return 'give-up';
      }
      this.#state(hadSession ? 'master-gone' : 'waiting', describeConnectFailure(err as Error), errorCode(err));
      return 'retry';
    }
    if (this.#stopped) await manager.shutdown().catch(() => {});
    return 'connected';
  }

  /** Works until the master goes, then says why; true when the master's job could not run here. */
  async #session(manager: BaseManager<Jobs>): Promise<boolean> {
    let reason: string;
    let code: ErrorCode | undefined;
    let jobFailed = false;
    try {
      await this.#work(manager);
      reason = 'disconnected';
    } catch (err) {
      reason = describeLoss(err as Error);
      code = errorCode(err);
      jobFailed = err instanceof JobLoadError || err instanceof JobIntegrityError;
    }
    await manager.shutdown().catch(() => {});
    if (this.#stopped) return jobFailed;
    this.#state('master-gone', reason, code);
    this.#activity(`master gone: ${reason}`);
    return jobFailed;
  }

  async #work(manager: BaseManager<Jobs>): Promise<void> {
    const { onResult, onBusy } = this.#options;
    // A master serving a job: run it in the sandbox (jobs/job-work.ts) instead of the square.
    const jobbed = await workOnJob(manager, {
      threads: this.#options.threads,
      pollSeconds: POLL_SECONDS,
      stopped: () => this.#stopped,
      onJob: (description, threads) => this.#options.onJob({ description, threads }),
      onBusy,
      onOutcome: (outcome) => {
        this.#options.onJobOutcome(outcome);
        onResult(
          'error' in outcome
            ? `#${outcome.index} ${outcome.error.name}: ${outcome.error.message}`
            : `#${outcome.index} → ${preview(outcome.result)}`,
        );
      },
    });
    if (jobbed) return;
    this.#options.onJob(null);
    await this.#seedLoop(manager);
  }

  /**
   * The seed's loop, pipelined: takes the next task while earlier ones are
   * still computing, up to `inFlight` at once, so the compute Web Worker gets
   * them in batches (compute.ts). With `inFlight` 1 it is the classic
   * get → compute → put. Only one `get` is outstanding at a time, so the
   * queue proxy's prefetch window alone decides how many tasks this tab holds.
   */
  async #seedLoop(manager: BaseManager<Jobs>): Promise<void> {
    const { compute, onResult, onBusy, inFlight } = this.#options;
    const task = await manager.get_task_queue();
    const result = await manager.get_result_queue();
    const computing = new Set<Promise<void>>();
    // The first failure of a task in flight (a closed connection on put): the loop ends with it.
    let failure: { error: unknown } | undefined;
    const finish = async (n: number) => {
      const text = await compute(n);
      await result.put(text);
      onResult(text);
    };
    let busy: boolean | undefined;
    while (!this.#stopped && !failure) {
      let n: number;
      try {
        n = await task.get({ timeout: POLL_SECONDS });
      } catch (err) {
        if (!(err instanceof Empty)) throw err;
        if (busy !== false) {
          busy = false;
          onBusy(false);
        }
        continue;
      }
      if (busy !== true) {
        busy = true;
        onBusy(true);
      }
      const done: Promise<void> = finish(n).then(
        () => {
          computing.delete(done);
        },
        (error: unknown) => {
          failure ??= { error };
          computing.delete(done);
        },
      );
      computing.add(done);
      while (computing.size >= inFlight) await Promise.race(computing);
    }
    await Promise.all(computing);
    if (failure) throw failure.error;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** Why connect() gave up this time, in words for the status line. */
function describeConnectFailure(err: Error): string {
  const cause = err instanceof ConnectTimeoutError && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof SignalingError) return `the signaling server refused: ${cause.message}`;
  switch (errorCode(cause)) {
    case 'SIGNALING_UNREACHABLE':
    case 'SIGNALING_CLOSED':
      return 'cannot reach the signaling server';
    case 'NO_MASTER':
      return 'no master in this room yet';
    default:
      return cause.message;
  }
}

/** Why an established session ended. */
function describeLoss(err: Error): string {
  if (err instanceof PeerShutdownError && err.peerReason !== undefined) return `the master said: ${err.peerReason}`;
  if (errorCode(err) === 'HEARTBEAT_LOST') return 'the master stopped answering';
  return err.message;
}

/** A result, short enough for the page's list. */
function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
