/**
 * Bounds applied to every decode (and the depth bound to every encode). They
 * are defaults: `unpickle(bytes, { maxInputBytes, ... })` can tighten or widen them.
 */

/** Largest pickle accepted: a 100 MiB task (Python manages it) plus room for its container. */
export const DEFAULT_MAX_INPUT_BYTES = 256 * 1024 * 1024;

/**
 * Deepest nesting accepted. CPython's own pickler cannot produce more than
 * about 1,000 levels (its recursion limit), so a real peer never sends more;
 * the bound also keeps our recursive encoder far from the JS stack limit.
 */
export const DEFAULT_MAX_DEPTH = 1000;

/** Memo entries (MEMOIZE/BINPUT): one per str, tuple, list, dict... a message of a few MiB stays far below. */
export const DEFAULT_MAX_MEMO_ENTRIES = 1 << 20;

/**
 * Values pushed while decoding (every opcode that pushes counts, BINGET
 * included). Bounds memory to roughly this many references whatever the input
 * size: a 1-byte opcode can otherwise make an 8-byte array slot.
 */
export const DEFAULT_MAX_VALUES = 1 << 24;

/** Largest integer payload (LONG1/LONG4), in bytes: about 158,000 decimal digits. */
export const DEFAULT_MAX_INT_BYTES = 64 * 1024;

/** Longest module or qualified name accepted by GLOBAL/STACK_GLOBAL (real ones are far shorter). */
export const MAX_GLOBAL_NAME_BYTES = 256;

/** Items per APPENDS/SETITEMS batch the encoder writes (CPython's batch size). */
export const ENCODE_BATCH_SIZE = 1000;

/** Chunk size of the encoder's output buffer; larger byte strings are kept by reference, not copied. */
export const ENCODE_CHUNK_BYTES = 64 * 1024;

/** Highest pickle protocol we read (Python 3.8+ writes 4 or 5). */
export const HIGHEST_PROTOCOL = 5;

/** The protocol we write: understood by every Python 3.4+. */
export const WRITE_PROTOCOL = 4;

export interface DecodeLimits {
  maxInputBytes?: number;
  maxDepth?: number;
  maxMemoEntries?: number;
  maxValues?: number;
  maxIntBytes?: number;
}
