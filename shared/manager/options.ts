/**
 * Manager options: one interface, defaults as named numbers, validation naming
 * the bad option. Options are in seconds (as in Python); each default is
 * declared once, in the unit of the code that applies it: the connection's
 * timings in wire/connection.ts, the peer connection's in webrtc/peer-link.ts,
 * the message limit in wire/framing.ts, and the manager's own below.
 */
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MAX_BATCH } from '../queue/batch.js';
import { parseAddress } from '../signaling/protocol.js';
import { SignalingServers } from '../signaling/servers.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../webrtc/peer-link.js';
import type { IceServer, Platform } from '../webrtc/platform.js';
import { authkeyBytes } from '../wire/auth.js';
import {
  DEFAULT_DEAD_AFTER_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
} from '../wire/connection.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../wire/framing.js';

export interface ManagerOptions {
  /**
   * Signaling server URL plus room, e.g. `ws://127.0.0.1:8080/jobs`: the master's address. Several servers of
   * one cluster, comma-separated (`wss://a/jobs,wss://b/jobs`): the first that answers is used, the next when it goes.
   */
  address: string;
  /** Shared secret both sides prove they know; never sent anywhere. */
  authkey: string | Uint8Array;
  /** WebRTC and WebSocket classes (node/ and web/ entry points fill this in). */
  platform: Platform;
  /** STUN/TURN servers; default: what the signaling server hands out (none unless it is configured). */
  iceServers?: IceServer[];
  /**
   * Where the manager reports peers failing authentication, dropped
   * connections and the like. Default: stderr in Node, the console in
   * browsers; `silentLogger` (exported) silences it. Never given secrets.
   */
  logger?: Logger;
  /** Worker: seconds to wait for the signaling server and a master to appear (default 10). */
  wait?: number;
  /** Seconds for one peer connection to open before retrying (ICE found no path) (default 10). */
  connectTimeout?: number;
  /** Seconds a peer has to complete authentication before it is dropped (default 10). */
  handshakeTimeout?: number;
  /** Seconds between heartbeats on an idle connection (default 1). */
  heartbeatInterval?: number;
  /** Seconds of silence after which a peer is considered gone (default 5). */
  deadAfter?: number;
  /** Largest message accepted from a peer, in bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** Worker: most queue items fetched ahead per request; 1 turns prefetch off (default DEFAULT_PREFETCH, 1024). */
  prefetch?: number;
  /** Worker: send results to unbounded queues in batches, `put()` resolving at once (default true). */
  batchResults?: boolean;
}

/** Worker: how long to wait for the signaling server and a master to appear. */
export const DEFAULT_WAIT_MS = 10_000;
/**
 * The largest batch one call may carry (MAX_BATCH). Measured here (seed
 * workload, one worker): prefetch 64 / 256 / 1024 moved about 97k / 136k /
 * 185k tasks/s; each data-channel send costs tens of microseconds, so fewer,
 * fuller frames win. Against 512, the previous default, 1024 (with result
 * batches of 1024) measured +8 to +13 % at W = 1 and 2 in interleaved runs
 * (docs/performance.md). A worker holds no more for it where that matters:
 * the window starts at 1, grows only while the queue has plenty, and never
 * holds more than PREFETCH_HORIZON_MS of the worker's measured work.
 */
export const DEFAULT_PREFETCH = MAX_BATCH;

export interface ResolvedOptions {
  url: string;
  room: string;
  /** Every signaling server of the address, and which to try first (shared by the manager's successive connections). */
  servers: SignalingServers;
  address: string;
  authkey: Uint8Array;
  platform: Platform;
  iceServers: IceServer[] | undefined;
  logger: Logger | undefined;
  waitMs: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  heartbeatIntervalMs: number;
  deadAfterMs: number;
  maxMessageBytes: number;
  prefetch: number;
  batchResults: boolean;
}

/** An option given in seconds, as milliseconds; `fallbackMs` when it is not given. */
function seconds(options: ManagerOptions, key: keyof ManagerOptions, fallbackMs: number): number {
  const value = options[key];
  if (value === undefined || value === null) return fallbackMs;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`option '${key}' must be a non-negative number of seconds, got ${String(value)}`);
  }
  return value * 1000;
}

export function resolveOptions(options: ManagerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('manager options must be an object with at least { address, authkey }');
  }
  let parsed: { url: string; room: string; urls: string[] };
  try {
    parsed = parseAddress(options.address);
  } catch (err) {
    throw new ConfigError(`option 'address': ${(err as Error).message}`);
  }
  if (typeof options.authkey !== 'string' && !(options.authkey instanceof Uint8Array)) {
    throw new ConfigError(`option 'authkey' must be a string or Uint8Array, got ${typeof options.authkey}`);
  }
  let authkey: Uint8Array;
  try {
    authkey = authkeyBytes(options.authkey);
  } catch (err) {
    throw new ConfigError(`option 'authkey': ${(err as Error).message}`);
  }
  if (!options.platform?.RTCPeerConnection || !options.platform.WebSocket) {
    throw new ConfigError(`option 'platform' must supply RTCPeerConnection and WebSocket classes`);
  }
  if (options.iceServers !== undefined && !Array.isArray(options.iceServers)) {
    throw new ConfigError(`option 'iceServers' must be an array of {urls, username?, credential?}`);
  }
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1024) {
    throw new ConfigError(`option 'maxMessageBytes' must be an integer of at least 1024, got ${maxMessageBytes}`);
  }
  const prefetch = options.prefetch ?? DEFAULT_PREFETCH;
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > MAX_BATCH) {
    throw new ConfigError(`option 'prefetch' must be an integer from 1 to ${MAX_BATCH}, got ${prefetch}`);
  }
  if (options.batchResults !== undefined && typeof options.batchResults !== 'boolean') {
    throw new ConfigError(`option 'batchResults' must be true or false, got ${String(options.batchResults)}`);
  }
  return {
    url: parsed.url,
    room: parsed.room,
    servers: new SignalingServers(parsed.urls),
    prefetch,
    batchResults: options.batchResults ?? true,
    address: options.address,
    authkey,
    platform: options.platform,
    iceServers: options.iceServers,
    logger: options.logger,
    waitMs: seconds(options, 'wait', DEFAULT_WAIT_MS),
    connectTimeoutMs: seconds(options, 'connectTimeout', DEFAULT_CONNECT_TIMEOUT_MS),
    handshakeTimeoutMs: seconds(options, 'handshakeTimeout', DEFAULT_HANDSHAKE_TIMEOUT_MS),
    heartbeatIntervalMs: seconds(options, 'heartbeatInterval', DEFAULT_HEARTBEAT_INTERVAL_MS),
    deadAfterMs: seconds(options, 'deadAfter', DEFAULT_DEAD_AFTER_MS),
    maxMessageBytes,
  };
}

/** The connection settings both roles take from the manager's options. */
export function connectionSettings(options: ResolvedOptions) {
  return {
    agent: options.platform.name,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    deadAfterMs: options.deadAfterMs,
    maxMessageBytes: options.maxMessageBytes,
  };
}

/** A random peer id for signaling (stable across signaling reconnects of one manager). */
export function randomPeerId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let id = '';
  for (const b of bytes) id += b.toString(16).padStart(2, '0');
  return id;
}
