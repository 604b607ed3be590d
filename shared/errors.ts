/**
 * Every failure peerproc reports has its own class, with a `name` users can
 * match on (`err.name === 'AuthenticationError'` or `instanceof`). Messages say
 * what was wrong and with which value.
 */

export class PeerprocError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Subclasses below also set their name explicitly (bundlers minify class names, and names cross the wire).
    this.name = new.target.name;
  }
}

/** Raised by `get` on an empty queue (non-blocking, or after the timeout), as Python's `queue.Empty`. */
export class Empty extends PeerprocError {
  override name = 'Empty';
  constructor(message = 'queue is empty') {
    super(message);
  }
}

/** Raised by `put` on a full queue (non-blocking, or after the timeout), as Python's `queue.Full`. */
export class Full extends PeerprocError {
  override name = 'Full';
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
  constructor(message = 'queue is shut down') {
    super(message);
  }
}

/** The other side did not prove it knows the authkey, or rejected our proof. */
export class AuthenticationError extends PeerprocError {
  override name = 'AuthenticationError';
}

/** A master is already serving this room (the room is the master's address, like a bound port). */
export class AddressInUseError extends PeerprocError {
  override name = 'AddressInUseError';
}

/** The connection closed (peer gone, shutdown, network failure) while a call was pending or was made. */
export class ConnectionClosedError extends PeerprocError {
  override name = 'ConnectionClosedError';
}

/** The other side shut down cleanly and said so (a master's `shutdown()`); a kind of ConnectionClosedError. */
export class PeerShutdownError extends ConnectionClosedError {
  override name = 'PeerShutdownError';
}

/** A manager method was called in the wrong state (e.g. `start()` twice, `connect()` after `start()`). */
export class ManagerStateError extends PeerprocError {
  override name = 'ManagerStateError';
}

/** Connecting took too long: no master appeared, or ICE could not find a path between the peers. */
export class ConnectTimeoutError extends PeerprocError {
  override name = 'ConnectTimeoutError';
}

/** The peer sent bytes that do not decode, or a message that breaks the protocol. */
export class ProtocolError extends PeerprocError {
  override name = 'ProtocolError';
}

/** A message exceeds the configured size limit. */
export class MessageTooLargeError extends PeerprocError {
  override name = 'MessageTooLargeError';
}

/** The signaling server refused a request; `code` is its machine-readable reason. */
export class SignalingError extends PeerprocError {
  override name = 'SignalingError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** A proxy asked for a typeid the manager has not registered. */
export class UnknownTypeidError extends PeerprocError {
  override name = 'UnknownTypeidError';
}

/** A proxy called a method that the registered object does not expose. */
export class MethodNotExposedError extends PeerprocError {
  override name = 'MethodNotExposedError';
}

/** An option or argument has an invalid value. */
export class ConfigError extends PeerprocError {
  override name = 'ConfigError';
}

/**
 * An exception thrown by the remote object whose class is not known locally.
 * `name` and `message` are the original ones; `remoteStack` is never sent by
 * peerproc (stacks stay on the side that threw), so it is always undefined.
 */
export class RemoteError extends PeerprocError {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Errors rebuilt with their own class when they cross the wire. */
const KNOWN_ERRORS: Record<string, new (message: string) => Error> = {
  Empty,
  Full,
  ShutDown,
  AuthenticationError,
  ConnectionClosedError,
  PeerShutdownError,
  ProtocolError,
  MessageTooLargeError,
  UnknownTypeidError,
  MethodNotExposedError,
  ConfigError,
  TypeError,
  RangeError,
};

/** The wire form of an error: only name and message ever cross (no stack, no paths). */
export interface WireError {
  name: string;
  message: string;
}

export function toWireError(err: unknown): WireError {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

export function fromWireError(wire: WireError): Error {
  const Known = Object.hasOwn(KNOWN_ERRORS, wire.name) ? KNOWN_ERRORS[wire.name] : undefined;
  if (Known) {
    const err = new Known(wire.message);
    err.name = wire.name;
    return err;
  }
  return new RemoteError(wire.name, wire.message);
}
