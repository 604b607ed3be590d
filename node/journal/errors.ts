/** Why a journal cannot be used: each kind its own class and stable code, the message naming the file. */
import { PeerprocError } from '../../shared/errors.js';

export const JOURNAL_ERROR_CODES = {
  /** The file is not a journal, or is damaged or cut short. */
  corrupt: 'JOURNAL_CORRUPT',
  /** The journal belongs to another run (other tasks, other job). */
  mismatch: 'JOURNAL_MISMATCH',
} as const;
export type JournalErrorCode = (typeof JOURNAL_ERROR_CODES)[keyof typeof JOURNAL_ERROR_CODES];

export class JournalError extends PeerprocError {
  override name = 'JournalError';
  readonly code: JournalErrorCode;

  constructor(code: JournalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
