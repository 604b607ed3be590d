/** The ways running a job can fail, each with a stable `code`. */
import { PeerprocError } from '../errors.js';

/** The job module cannot be bundled or loaded, or has no default-exported function. */
export class JobLoadError extends PeerprocError {
  override name = 'JobLoadError';
  readonly code = 'JOB_LOAD';
}

/** A worker's job does not match the master's (no local job, a different bundle, or none served). */
export class JobMismatchError extends PeerprocError {
  override name = 'JobMismatchError';
  readonly code = 'JOB_MISMATCH';
}

/** A bundle received from a master does not have the SHA-256 the master announced. */
export class JobIntegrityError extends PeerprocError {
  override name = 'JobIntegrityError';
  readonly code = 'JOB_INTEGRITY';
}
