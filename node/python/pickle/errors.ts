/**
 * Errors of the pickle codec. Every refusal is a `PickleError` (match on
 * `instanceof PickleError` or on the subclass `name`); decoding and encoding
 * never throw anything else for bad input.
 */
import { type CodeOf, PeerprocError } from '../../../shared/errors.js';

/** Base class: any input the codec refuses (abstract: every refusal is one of the kinds below). */
export abstract class PickleError extends PeerprocError {
  abstract override readonly code: CodeOf<
    'PickleDecodeError' | 'PickleOpcodeError' | 'PickleForbiddenError' | 'PickleLimitError' | 'PickleEncodeError'
  >;
}

/** The bytes are not a well-formed pickle: truncated, bad lengths, stack misuse, invalid UTF-8. */
export class PickleDecodeError extends PickleError {
  override name = 'PickleDecodeError';
  readonly code = 'PICKLE_DECODE';
}

/** An opcode outside the supported set (text protocols, persistent ids, extension registry, out-of-band buffers). */
export class PickleOpcodeError extends PickleError {
  override name = 'PickleOpcodeError';
  readonly code = 'PICKLE_OPCODE';
}

/**
 * The pickle names a global, callable or class the codec does not allow. This
 * is the refusal that keeps hostile pickles (`posix.system` via REDUCE...) inert.
 */
export class PickleForbiddenError extends PickleError {
  override name = 'PickleForbiddenError';
  readonly code = 'PICKLE_FORBIDDEN';
}

/** A configured bound was exceeded: input size, nesting depth, memo entries, value count, integer size. */
export class PickleLimitError extends PickleError {
  override name = 'PickleLimitError';
  readonly code = 'PICKLE_LIMIT';
}

/** A value has no pickle form here (functions, class instances, undefined inside containers...). */
export class PickleEncodeError extends PickleError {
  override name = 'PickleEncodeError';
  readonly code = 'PICKLE_ENCODE';
}
