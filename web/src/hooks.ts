/**
 * What the pages publish on `window.__peerproc` for tests and automation:
 * plain data, updated live, never the authkey. Types only (no DOM), so the
 * Node-side tests import them too.
 */

/** Worker page connection states, in the order a good session goes through them. */
export type WorkerState =
  | 'idle' // nothing to connect with yet (no authkey)
  | 'waiting' // looking for the room's master (signaling, WebRTC, authentication)
  | 'working' // authenticated; pulling tasks
  | 'master-gone' // the master left or vanished; looking for it again
  | 'auth-failed' // the master rejected our authkey (or could not prove its own)
  | 'error' // a setting is wrong (bad address...)
  | 'stopped'; // the user disconnected

export interface WorkerPageHook {
  readonly page: 'worker';
  state: WorkerState;
  /** Why the last connection failed or ended, in words; null when nothing failed. */
  reason: string | null;
  /** The stable code of the error behind `reason` (e.g. KEY_REJECTED, docs/errors.md); null when none. */
  code: string | null;
  /** Results returned to the master since the page loaded. */
  done: number;
  /** Tasks per second over the last few seconds. */
  rate: number;
  /** Newest first, at most a screenful. */
  lastResults: string[];
  /** Times the page authenticated with a master (1 + reconnections). */
  sessions: number;
  /** Milliseconds from page load (performance time origin) to these events; null until they happen. */
  authenticatedAtMs: number | null;
  firstResultAtMs: number | null;
  lastResultAtMs: number | null;
  /** The master's job, while one is served (null: the seed's square). */
  job: { name: string; sha256: string; threads: number } | null;
  /** Milliseconds from page load to the first job's sandbox being ready (its Web Workers loaded the bundle). */
  jobReadyAtMs: number | null;
  /** Job tasks whose outcome was an error (the job threw, or ran past the task timeout). */
  jobErrors: number;
  /** The most seed tasks sent to the compute Web Worker in one message so far (compute.ts). */
  largestComputeBatch: number;
  /** Whether the page runs in a secure context and has WebCrypto (it needs neither). */
  secureContext: boolean;
  hasSubtleCrypto: boolean;
}

export type MasterState = 'idle' | 'starting' | 'running' | 'done' | 'stopped' | 'error';

export type WorkerStatus = 'authenticating' | 'connected' | 'left' | 'rejected';

export interface MasterWorkerRow {
  peer: string;
  /** "browser", "node-datachannel", "wrtc"... ("unknown" until the worker says). */
  agent: string;
  status: WorkerStatus;
  /** Results this worker returned in the current run. */
  results: number;
}

export interface RunSummary {
  tasks: number;
  durationMs: number;
  tasksPerSecond: number;
  /** Results whose text is exactly `n * n = n²` for a task that was put. */
  verified: number;
  /** Second results of redelivered tasks, set aside (each task's result is counted once). */
  duplicates: number;
  /** A job run's error outcomes (the job threw or timed out); absent for the square demo. */
  errors?: number;
  workers: Array<{ peer: string; agent: string; results: number; share: number }>;
}

export interface MasterPageHook {
  readonly page: 'master';
  state: MasterState;
  error: string | null;
  address: string | null;
  /** Tasks put in the current run, and results received so far (in arrival order). */
  tasks: readonly unknown[];
  results: string[];
  workers: MasterWorkerRow[];
  /** Workers turned away for a wrong authkey, since the master started. */
  rejected: number;
  /** The job being served (null: the square demo). */
  job: { name: string; sha256: string } | null;
  summary: RunSummary | null;
  /** An unfinished run kept in this browser that the page offers to resume; null when there is none. */
  resumable: { room: string; tasks: number; answered: number } | null;
}

export type PeerprocPageHook = WorkerPageHook | MasterPageHook;
