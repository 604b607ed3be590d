/**
 * Shared options and defaults of the CPython-facing TCP classes.
 */
import { ConfigError } from '../../shared/errors.js';

/** Where one-line notices go (refused handshakes, hostile input). `console` by default. */
export interface PythonLogger {
  warn(message: string): void;
}

export const consolePythonLogger: PythonLogger = { warn: (message) => console.warn(message) };

/** How long connecting to a CPython manager (TCP plus handshake) may take: as long as a peer connection may. */
export { DEFAULT_CONNECT_TIMEOUT_MS } from '../../shared/webrtc/peer-link.js';
/**
 * How long a new connection may take to authenticate and send its first
 * request: peerproc's handshake limit, on TCP too. CPython has no limit, so a
 * silent socket holds a server thread forever; a real handshake takes a few ms
 * (300 ms with Nagle).
 */
export { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '../../shared/wire/connection.js';

/** Loopback by default: serving Python workers on other hosts is a deliberate choice. */
export const DEFAULT_PYTHON_HOST = '127.0.0.1';

/** Time given to a closing socket to flush its last message (e.g. `#FAILURE#`) before it is destroyed. */
export const CLOSE_FLUSH_MS = 1_000;

/**
 * On `close()`, time an idle method-call connection gets to make its next
 * call (answered `queue.Empty`) before it is closed: a classic worker is
 * between its `put` and its next `get` for well under a millisecond, so this
 * turns its `EOFError` into a clean `except queue.Empty` exit.
 */
export const CLOSE_GRACE_MS = 200;

/** CPython authkeys are bytes; a string is taken as its UTF-8 bytes. */
export function toAuthkey(authkey: Uint8Array | string): Uint8Array {
  if (typeof authkey === 'string') return new TextEncoder().encode(authkey);
  if (authkey instanceof Uint8Array) return authkey;
  throw new ConfigError(`'authkey' must be a Uint8Array or a string, got ${typeof authkey}`);
}

/** A TCP address as CPython's `address=(host, port)`. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * `127.0.0.1:5000`, `localhost:5000` or `[::1]:5000` (the form of the
 * `--python-listen` and `--python-master` flags); port 0 means a free port
 * when listening.
 */
export function parseHostPort(value: string, flag = 'address'): HostPort {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65_535) {
    throw new ConfigError(`--${flag} must be HOST:PORT (e.g. 127.0.0.1:5000), got ${JSON.stringify(value)}`);
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

/** `host:port`, bracketing IPv6 hosts. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
