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

import { JobIntegrityError, JobLoadError } from '../../shared/jobs/errors.js';
import type { JobDescription, JobOutcome } from '../../shared/jobs/protocol.js';
import {
  AuthenticationError,
  BaseManager,
  ConfigError,
  ConnectionClosedError,
  ConnectTimeoutError,
  Empty,
  type Logger,
  type Queue,
  SignalingError,
} from '../lib/index.js';
import type { WorkerState } from './hooks.js';
import { workOnJob } from './jobs/job-work.js';

interface Jobs {
  get_task_queue: Queue<number>;
  get_result_queue: Queue<string>;
}

/** Seconds one `task.get` waits before reporting Empty (then the page polls again). */
export const POLL_SECONDS = 1;
/**
 * Seconds one connect() waits for a master before starting over. Long enough
 * that hundreds of idle tabs do not hammer the signaling server with
 * re-registrations; short enough that a problem shows within half a minute.
 */
export const CONNECT_WAIT_SECONDS = 20;
/**
 * Pause between connect() attempts: min(1 s * 2^attempt, 10 s). Each attempt
 * already listens for a master for CONNECT_WAIT_SECONDS, so this only spaces out
 * failures (server down); kept short so a master that appears meanwhile is
 * found within seconds.
 */
export const RECONNECT_MIN_MS = 1_000;
export const RECONNECT_MAX_MS = 10_000;

export function reconnectDelay(attempt: number): number {
  return Math.min(RECONNECT_MIN_MS * 2 ** attempt, RECONNECT_MAX_MS);
}

export interface VolunteerOptions {
  address: string;
  authkey: string;
  compute(n: unknown): Promise<string>;
  logger: Logger;
  /** Called on every state change, with a human reason when something failed. */
  onState(state: WorkerState, reason: string | null): void;
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

  async #run(): Promise<void> {
    // Once stopped, the loop winds down silently: stop() has said all there is to say.
    const onState: VolunteerOptions['onState'] = (state, reason) => {
      if (!this.#stopped) this.#options.onState(state, reason);
    };
    const onActivity = (message: string) => {
      if (!this.#stopped) this.#options.onActivity(message);
    };
    let failures = 0;
    let sessions = 0;
    while (!this.#stopped) {
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
      if (sessions === 0 && failures === 0) onState('waiting', null);
      try {
        await manager.connect();
      } catch (err) {
        if (this.#stopped) break;
        if (err instanceof AuthenticationError) {
          onState('auth-failed', err.message);
          onActivity(`authentication failed: ${err.message}`);
          break;
        }
        if (err instanceof ConfigError) {
          onState('error', err.message);
          break;
        }
        const reason = describeConnectFailure(err as Error);
        onState(sessions > 0 ? 'master-gone' : 'waiting', reason);
        await this.#sleep(reconnectDelay(failures++));
        continue;
      }
      if (this.#stopped) {
        await manager.shutdown().catch(() => {});
        break;
      }
      failures = 0;
      sessions++;
      onState('working', null);
      onActivity(sessions === 1 ? 'connected and authenticated' : 'reconnected to a master');
      let reason: string;
      let jobFailed = false;
      try {
        await this.#work(manager);
        reason = 'disconnected';
      } catch (err) {
        reason = describeLoss(err as Error);
        jobFailed = err instanceof JobLoadError || err instanceof JobIntegrityError;
      }
      await manager.shutdown().catch(() => {});
      if (this.#stopped) break;
      onState('master-gone', reason);
      onActivity(`master gone: ${reason}`);
      // The same job would fail the same way: look again only now and then (the master may change it).
      await this.#sleep(jobFailed ? RECONNECT_MAX_MS : reconnectDelay(0));
    }
  }

  async #work(manager: BaseManager<Jobs>): Promise<void> {
    const { compute, onResult, onBusy } = this.#options;
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
    const task = await manager.get_task_queue();
    const result = await manager.get_result_queue();
    let busy: boolean | undefined;
    while (!this.#stopped) {
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
      const text = await compute(n);
      await result.put(text);
      onResult(text);
    }
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

/** Why connect() gave up this time, in words for the status line. */
function describeConnectFailure(err: Error): string {
  const cause = err instanceof ConnectTimeoutError && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof SignalingError) return `the signaling server refused: ${cause.message}`;
  if (cause instanceof ConnectionClosedError && /signaling/.test(cause.message)) {
    return 'cannot reach the signaling server';
  }
  if (cause instanceof ConnectTimeoutError && /no master/.test(cause.message)) return 'no master in this room yet';
  return cause.message;
}

/** Why an established session ended. */
function describeLoss(err: Error): string {
  const text = err.message;
  const bye = /closed the connection: (.*)$/.exec(text);
  if (bye) return `the master said: ${bye[1]}`;
  if (/heartbeat/.test(text)) return 'the master stopped answering';
  return text;
}
