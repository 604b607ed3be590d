/**
 * What a job master and its workers exchange, besides the seed's two queues:
 *
 * - `get_job` (JOB_TYPEID) serves a JobService: `describe()` gives the job's
 *   name, the SHA-256 of its bundle, its size and the per-task timeout;
 *   `source()` gives the bundle itself (an ES module, text).
 * - `get_task_queue` carries JobTask items `{ index, task }`.
 * - `get_result_queue` carries JobOutcome items: `{ index, result }`, or
 *   `{ index, error: { name, message } }` when the job threw or timed out.
 *
 * A seed master does not register `get_job`: a worker that asks gets
 * UnknownTypeidError and computes the seed's square as before.
 */

export const JOB_TYPEID = 'get_job';
export const TASK_QUEUE_TYPEID = 'get_task_queue';
export const RESULT_QUEUE_TYPEID = 'get_result_queue';

/** The methods a JobService exposes to workers. */
export const JOB_METHODS = ['describe', 'source'] as const;

export interface JobDescription {
  /** The job module's `name` export, or its file name. */
  name: string;
  /** Lower-case hex SHA-256 of the bundle's UTF-8 bytes. */
  sha256: string;
  /** The bundle's size in bytes. */
  bytes: number;
  /** Seconds a task may run before it is reported as a timeout error; null: no limit. */
  taskTimeout: number | null;
}

export interface JobTask {
  index: number;
  task: unknown;
}

export interface JobErrorInfo {
  name: string;
  message: string;
}

export type JobOutcome = { index: number; result: unknown } | { index: number; error: JobErrorInfo };

/** The error name a task past its timeout is reported with. */
export const TASK_TIMEOUT_ERROR = 'TaskTimeoutError';

/** Longest error message kept from a job's exception (a job may throw anything). */
export const MAX_ERROR_MESSAGE = 2_000;
/** Longest job name kept (shown to volunteers). */
export const MAX_JOB_NAME = 200;

/** The first 12 hex digits of a hash, as shown to people. */
export function shortHash(sha256: string): string {
  return sha256.slice(0, 12);
}

/** An exception (or any thrown value) as the `error` of an outcome. */
export function errorInfo(thrown: unknown): JobErrorInfo {
  if (thrown instanceof Error || (typeof thrown === 'object' && thrown !== null && 'message' in thrown)) {
    const e = thrown as { name?: unknown; message?: unknown };
    return {
      name: typeof e.name === 'string' && e.name !== '' ? e.name.slice(0, MAX_JOB_NAME) : 'Error',
      message: String(e.message).slice(0, MAX_ERROR_MESSAGE),
    };
  }
  return { name: 'Error', message: String(thrown).slice(0, MAX_ERROR_MESSAGE) };
}

/** A JobTask from the network, or undefined when it is not one. */
export function asJobTask(value: unknown): JobTask | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { index } = value as { index?: unknown };
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || !('task' in value)) return undefined;
  return value as JobTask;
}

/** A JobOutcome from the network, or undefined when it is not one. */
export function asJobOutcome(value: unknown): JobOutcome | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { index?: unknown; result?: unknown; error?: unknown };
  if (typeof v.index !== 'number' || !Number.isSafeInteger(v.index) || v.index < 0) return undefined;
  if ('error' in v) {
    const e = v.error as { name?: unknown; message?: unknown } | null;
    if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || typeof e.message !== 'string') {
      return undefined;
    }
    return { index: v.index, error: { name: e.name, message: e.message } };
  }
  if (!('result' in v)) return undefined;
  return { index: v.index, result: v.result };
}

/** A JobDescription from the network, or undefined when it is not one. */
export function asJobDescription(value: unknown): JobDescription | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<Record<keyof JobDescription, unknown>>;
  if (typeof v.name !== 'string' || typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.sha256)) return undefined;
  if (typeof v.bytes !== 'number' || !Number.isSafeInteger(v.bytes) || v.bytes < 0) return undefined;
  const timeout = v.taskTimeout;
  if (timeout !== null && (typeof timeout !== 'number' || !(timeout > 0))) return undefined;
  return { name: v.name.slice(0, MAX_JOB_NAME), sha256: v.sha256, bytes: v.bytes, taskTimeout: timeout };
}
