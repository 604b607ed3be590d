/**
 * Failures of the signaling server, one class per kind, each with a `name`
 * callers can match on. Problems caused by network clients are never thrown:
 * they become `{type:'error', code}` messages (see connection.ts).
 */
import { PeerprocError } from '../shared/errors.js';

// The same class as the rest of peerproc, so `instanceof ConfigError` holds whichever module it came from.
export { ConfigError } from '../shared/errors.js';

/** The server could not bind its port (already in use, permission denied, bad address). */
export class ListenError extends PeerprocError {}

/** Cluster mode: Redis could not be reached when the node started (refused, timed out, bad credentials). */
export class RedisUnavailableError extends PeerprocError {
  override name = 'RedisUnavailableError';
}
