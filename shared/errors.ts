/**
 * Every failure peerproc reports has its own class, with a `name` users can
 * match on (`err.name === 'AuthenticationError'` or `instanceof`) and a stable
 * `code` that says which failure of that kind it was (as ws does): programs
 * and pages branch on `code`, never on the message, which is for people and
 * may change. Messages say what was wrong and with which value.
 */
/**
 * Every stable error code, with the class that carries it: the one source of
 * codes (docs/errors.md has a section per code). Codes never change meaning
 * once released; new ones may be added.
 */
export const ERROR_CODES = {
  QUEUE_EMPTY: 'Empty',
  QUEUE_FULL: 'Full',
  QUEUE_SHUT_DOWN: 'ShutDown',
  KEY_REJECTED: 'AuthenticationError',
  MASTER_UNPROVEN: 'AuthenticationError',
  PEER_UNPROVEN: 'AuthenticationError',
  AUTH_MALFORMED: 'AuthenticationError',
  ADDRESS_IN_USE: 'AddressInUseError',
  CONNECTION_CLOSED: 'ConnectionClosedError',
  HEARTBEAT_LOST: 'ConnectionClosedError',
  SIGNALING_CLOSED: 'ConnectionClosedError',
  SIGNALING_UNREACHABLE: 'ConnectionClosedError',
  CHANNEL_CLOSED: 'ConnectionClosedError',
  MASTER_LEFT: 'ConnectionClosedError',
  PROXY_RELEASED: 'ConnectionClosedError',
  CALLER_GONE: 'ConnectionClosedError',
  MANAGER_CLOSING: 'ConnectionClosedError',
  CONNECT_REFUSED: 'ConnectionClosedError',
  PEER_BYE: 'PeerShutdownError',
  MASTER_FINISHED: 'PeerShutdownError',
  MANAGER_STATE: 'ManagerStateError',
  NO_MASTER: 'ConnectTimeoutError',
  ICE_FAILED: 'ConnectTimeoutError',
  LINK_TIMEOUT: 'ConnectTimeoutError',
  HANDSHAKE_TIMEOUT: 'ConnectTimeoutError',
  CONNECT_TIMEOUT: 'ConnectTimeoutError',
  PROTOCOL_VIOLATION: 'ProtocolError',
  VERSION_MISMATCH: 'ProtocolError',
  MESSAGE_TOO_LARGE: 'MessageTooLargeError',
  // The signaling server's refusals (SIGNALING_ERROR_CODES in signaling/protocol.ts; ADDRESS_IN_USE above).
  BAD_ROOM: 'SignalingError',
  BAD_MESSAGE: 'SignalingError',
  UNKNOWN_TYPE: 'SignalingError',
  TOO_LARGE: 'SignalingError',
  NOT_REGISTERED: 'SignalingError',
  ALREADY_REGISTERED: 'SignalingError',
  DUPLICATE_ID: 'SignalingError',
  UNKNOWN_PEER: 'SignalingError',
  ROOM_FULL: 'SignalingError',
  TOO_MANY_ROOMS: 'SignalingError',
  RATE_LIMITED: 'SignalingError',
  UNAUTHORIZED: 'SignalingError',
  SHUTTING_DOWN: 'SignalingError',
  UNAVAILABLE: 'SignalingError',
  /** A refusal this client does not know (a newer server). */
  UNKNOWN: 'SignalingError',
  UNKNOWN_TYPEID: 'UnknownTypeidError',
  METHOD_NOT_EXPOSED: 'MethodNotExposedError',
  INVALID_CONFIG: 'ConfigError',
  REMOTE_ERROR: 'RemoteError',
  PICKLE_DECODE: 'PickleDecodeError',
  PICKLE_OPCODE: 'PickleOpcodeError',
  PICKLE_FORBIDDEN: 'PickleForbiddenError',
  PICKLE_LIMIT: 'PickleLimitError',
  PICKLE_ENCODE: 'PickleEncodeError',
  PYTHON_EXCEPTION: 'PythonException',
  LISTEN_FAILED: 'ListenError',
  REDIS_UNAVAILABLE: 'RedisUnavailableError',
  JOURNAL_CORRUPT: 'JournalError',
  JOURNAL_MISMATCH: 'JournalError',
  MISSING_PACKAGE: 'MissingPackageError',
  JOB_LOAD: 'JobLoadError',
  JOB_MISMATCH: 'JobMismatchError',
  JOB_INTEGRITY: 'JobIntegrityError',
  JOB_STALLED: 'JobStalledError',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
/** The codes one class (by name) carries. */
export type CodeOf<Name extends string> = {
  [C in ErrorCode]: (typeof ERROR_CODES)[C] extends Name ? C : never;
}[ErrorCode];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** The stable code of any error, or undefined for errors that are not peerproc's (a TypeError...). */
export function errorCode(err: unknown): ErrorCode | undefined {
  return err instanceof PeerprocError ? err.code : undefined;
}

export interface ErrorOptions {
  cause?: unknown;
}

export abstract class PeerprocError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    // Subclasses below also set their name explicitly (bundlers minify class names, and names cross the wire).
    this.name = new.target.name;
  }
}

/** Raised by `get` on an empty queue (non-blocking, or after the timeout), as Python's `queue.Empty`. */
export class Empty extends PeerprocError {
  override name = 'Empty';
  readonly code = 'QUEUE_EMPTY';
  constructor(message = 'queue is empty') {
    super(message);
  }
}

/** Raised by `put` on a full queue (non-blocking, or after the timeout), as Python's `queue.Full`. */
export class Full extends PeerprocError {
  override name = 'Full';
  readonly code = 'QUEUE_FULL';
  constructor(message = 'queue is full') {
    super(message);
  }
}

/**
 * Raised by `put` on a queue that was shut down, and by `get` once a shut
 * down queue is empty, as Python 3.13's `queue.ShutDown`.
 */
export class ShutDown extends PeerprocError {
  override name = 'ShutDown';
  readonly code = 'QUEUE_SHUT_DOWN';
  constructor(message = 'queue is shut down') {
    super(message);
  }
}

/**
 * The other side did not prove it knows the authkey (`PEER_UNPROVEN`,
 * `MASTER_UNPROVEN`), rejected our proof (`KEY_REJECTED`), or sent a
 * handshake message that does not parse (`AUTH_MALFORMED`, CPython peers).
 */
export class AuthenticationError extends PeerprocError {
  override name = 'AuthenticationError';
  readonly code: CodeOf<'AuthenticationError'>;
  constructor(code: CodeOf<'AuthenticationError'>, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** A master is already serving this room (the room is the master's address, like a bound port). */
export class AddressInUseError extends PeerprocError {
  override name = 'AddressInUseError';
  readonly code = 'ADDRESS_IN_USE';
}

/**
 * The connection closed (peer gone, shutdown, network failure) while a call
 * was pending or was made; `code` says how (HEARTBEAT_LOST, CHANNEL_CLOSED...).
 */
export class ConnectionClosedError extends PeerprocError {
  override name = 'ConnectionClosedError';
  readonly code: CodeOf<'ConnectionClosedError' | 'PeerShutdownError'>;
  constructor(code: CodeOf<'ConnectionClosedError' | 'PeerShutdownError'>, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The other side shut down cleanly and said so: a peer's goodbye (`PEER_BYE`,
 * with its words in `peerReason`) or, from signaling, a master whose run is
 * over (`MASTER_FINISHED`). A kind of ConnectionClosedError.
 */
export class PeerShutdownError extends ConnectionClosedError {
  override name = 'PeerShutdownError';
  declare readonly code: CodeOf<'PeerShutdownError'>;
  /** What the peer said when it left (bounded), for PEER_BYE. */
  readonly peerReason: string | undefined;
  constructor(code: CodeOf<'PeerShutdownError'>, message: string, peerReason?: string) {
    super(code, message);
    this.peerReason = peerReason;
  }
}

/** A manager method was called in the wrong state (e.g. `start()` twice, `connect()` after `start()`). */
export class ManagerStateError extends PeerprocError {
  override name = 'ManagerStateError';
  readonly code = 'MANAGER_STATE';
}

/**
 * Connecting took too long: no master appeared (`NO_MASTER`), ICE found no
 * path (`ICE_FAILED`, `LINK_TIMEOUT`), authentication stalled (`HANDSHAKE_TIMEOUT`),
 * or a TCP connect stalled (`CONNECT_TIMEOUT`).
 */
export class ConnectTimeoutError extends PeerprocError {
  override name = 'ConnectTimeoutError';
  readonly code: CodeOf<'ConnectTimeoutError'>;
  constructor(code: CodeOf<'ConnectTimeoutError'>, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The peer sent bytes that do not decode, or a message that breaks the
 * protocol (PROTOCOL_VIOLATION), or it speaks another version of the protocol
 * (VERSION_MISMATCH: trying again cannot help).
 */
export class ProtocolError extends PeerprocError {
  override name = 'ProtocolError';
  readonly code: CodeOf<'ProtocolError'>;
  constructor(message: string, options?: ErrorOptions & { code?: CodeOf<'ProtocolError'> }) {
    super(message, options);
    this.code = options?.code ?? 'PROTOCOL_VIOLATION';
  }
}

/** A message exceeds the configured size limit. */
export class MessageTooLargeError extends PeerprocError {
  override name = 'MessageTooLargeError';
  readonly code = 'MESSAGE_TOO_LARGE';
}

/** The signaling server refused a request; `code` is its machine-readable reason (docs/signaling.md). */
export class SignalingError extends PeerprocError {
  override name = 'SignalingError';
  readonly code: CodeOf<'SignalingError'>;
  constructor(code: CodeOf<'SignalingError'>, message: string) {
    super(message);
    this.code = code;
  }
}

/** A proxy asked for a typeid the manager has not registered. */
export class UnknownTypeidError extends PeerprocError {
  override name = 'UnknownTypeidError';
  readonly code = 'UNKNOWN_TYPEID';
}

/** A proxy called a method that the registered object does not expose. */
export class MethodNotExposedError extends PeerprocError {
  override name = 'MethodNotExposedError';
  readonly code = 'METHOD_NOT_EXPOSED';
}

/** An option or argument has an invalid value. */
export class ConfigError extends PeerprocError {
  override name = 'ConfigError';
  readonly code = 'INVALID_CONFIG';
}

/**
 * An exception thrown by the remote object whose class is not known locally.
 * `name` and `message` are the original ones; stacks stay on the side that threw.
 */
export class RemoteError extends PeerprocError {
  readonly code = 'REMOTE_ERROR';
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Errors rebuilt with their own class when they cross the wire, from their name, message and code. */
const KNOWN_ERRORS: Record<string, (message: string, code: string | undefined) => Error> = {
  Empty: (m) => new Empty(m),
  Full: (m) => new Full(m),
  ShutDown: (m) => new ShutDown(m),
  AuthenticationError: (m, code) => new AuthenticationError(codeFor('AuthenticationError', code, 'PEER_UNPROVEN'), m),
  ConnectionClosedError: (m, code) =>
    new ConnectionClosedError(codeFor('ConnectionClosedError', code, 'CONNECTION_CLOSED'), m),
  PeerShutdownError: (m, code) => new PeerShutdownError(codeFor('PeerShutdownError', code, 'PEER_BYE'), m),
  ProtocolError: (m, code) => new ProtocolError(m, { code: codeFor('ProtocolError', code, 'PROTOCOL_VIOLATION') }),
  MessageTooLargeError: (m) => new MessageTooLargeError(m),
  UnknownTypeidError: (m) => new UnknownTypeidError(m),
  MethodNotExposedError: (m) => new MethodNotExposedError(m),
  ConfigError: (m) => new ConfigError(m),
  TypeError: (m) => new TypeError(m),
  RangeError: (m) => new RangeError(m),
};

/** The code a peer sent if it belongs to the class, else the class's fallback (codes come from the network). */
function codeFor<N extends string>(name: N, code: string | undefined, fallback: CodeOf<N>): CodeOf<N> {
  return isErrorCode(code) && ERROR_CODES[code] === name ? (code as CodeOf<N>) : fallback;
}

/**
 * The wire form of an error: only name, message and code ever cross (no
 * stack, no paths). `code` is absent for errors that have none (a TypeError)
 * and from peers older than codes.
 */
export interface WireError {
  name: string;
  message: string;
  code?: string;
}

export function toWireError(err: unknown): WireError {
  if (err instanceof PeerprocError) return { name: err.name, message: err.message, code: err.code };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

export function fromWireError(wire: WireError): Error {
  const make = Object.hasOwn(KNOWN_ERRORS, wire.name) ? KNOWN_ERRORS[wire.name] : undefined;
  return make ? make(wire.message, wire.code) : new RemoteError(wire.name, wire.message);
}
