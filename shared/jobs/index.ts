/** The job API, the same on every platform (re-exported by shared/index.ts). */
export { JobIntegrityError, JobLoadError, JobMismatchError } from './errors.js';
export { type JobHost, JobMaster, type JobMasterOptions, type JobRunOptions } from './job-master.js';
export type { JobBundle } from './job-service.js';
export { parseJsonLine, parseTaskLines, recordLine, toJsonLine } from './json-lines.js';
export { type JobRecord, JobRun, type JobRunSummary, JobStalledError, type WorkerShare } from './master-run.js';
export {
  type JobDescription,
  type JobErrorInfo,
  type JobOutcome,
  type JobTask,
  shortHash,
  TASK_TIMEOUT_ERROR,
} from './protocol.js';
