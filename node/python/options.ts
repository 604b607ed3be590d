/**
 * Shared options and defaults of the CPython-facing TCP classes.
 */
import { ConfigError } from '../../shared/errors.js';

/** Where one-line notices go (refused handshakes, hostile input). `console` by default. */
export interface PythonLogger {
  warn(message: string): void;
}

export const consoleLogger: PythonLogger = { warn: (message) => console.warn(message) };

/**
 * How long a new connection may take to authenticate and send its first
 * request. CPython has no limit, so a silent socket holds a server thread
 * forever; 10 s is far above a real handshake (a few ms, 300 ms with Nagle).
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** How long connecting to a CPython manager (TCP plus handshake) may take. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Time given to a closing socket to flush its last message (e.g. `#FAILURE#`) before it is destroyed. */
export const CLOSE_FLUSH_MS = 1_000;

/** CPython authkeys are bytes; a string is taken as its UTF-8 bytes. */
export function toAuthkey(authkey: Uint8Array | string): Uint8Array {
  if (typeof authkey === 'string') return new TextEncoder().encode(authkey);
  if (authkey instanceof Uint8Array) return authkey;
  throw new ConfigError(`'authkey' must be a Uint8Array or a string, got ${typeof authkey}`);
}
