/**
 * Options of the signaling server: one readonly interface, one object of
 * defaults (each a named constant saying why), and one validator that turns
 * user input into a complete, checked `SignalingOptions`. Bad values raise a
 * `ConfigError` naming the option, the value and what was expected.
 */
import type { Logger } from 'pino';
import type { IceServer } from '../shared/webrtc/platform.js';
import { ConfigError } from './errors.js';

/** Loopback by default: exposing the server is a deliberate choice (`--host 0.0.0.0`). */
export const DEFAULT_HOST = '127.0.0.1';
/** The port used in peerproc's examples (`ws://host:8080/room`). */
export const DEFAULT_PORT = 8080;
/** SDP offers and answers are a few KiB; 64 KiB leaves room for long candidate lists and nothing more. */
export const DEFAULT_MAX_SIGNALING_MESSAGE_BYTES = 64 * 1024;
/** Rooms are cheap (a map entry each); the cap only stops a client from creating them without end. */
export const DEFAULT_MAX_ROOMS = 10_000;
/** A master with a thousand workers is a big cluster; beyond that, shard into several rooms. */
export const DEFAULT_MAX_PEERS_PER_ROOM = 1_000;
/** Hard cap on open WebSocket connections: bounds memory whatever the number of client addresses. */
export const DEFAULT_MAX_CONNECTIONS = 20_000;
/** Workers behind one NAT share an address; 200 covers a lab or office without letting one host fill the server. */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 200;
/** New connections per second per address, sustained (reconnect storms after a restart stay well under it). */
export const DEFAULT_IP_CONNECTIONS_PER_SECOND = 20;
/** New connections an address may open at once, e.g. a whole worker pool started together. */
export const DEFAULT_IP_CONNECTION_BURST = 200;
/** Sustained messages per second per connection: ICE trickling sends tens of candidates, a few times. */
export const DEFAULT_MESSAGES_PER_SECOND = 50;
/** Messages a connection may send at once (an offer plus all its candidates). */
export const DEFAULT_MESSAGE_BURST = 200;
/** Bytes the server may queue for one client that does not read; above it the client is dropped (slow consumer). */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** ws ping period; a socket that has not answered the previous ping by the next one is dropped. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
/** A connection must `register` within this time; idle unregistered sockets only cost memory. */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
/** On close(), clients get this long to acknowledge SHUTTING_DOWN before their sockets are destroyed. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;
/** Lifetime of issued TURN credentials: long enough for a session to connect, short enough to be useless once leaked. */
export const DEFAULT_TURN_TTL_SECONDS = 3_600;
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
/**
 * Cluster mode: a node's presence in Redis lives this long unless refreshed (every fifth of it). A node that
 * died is noticed, and its masters' rooms are freed, this long after its last refresh; shorter fails over
 * faster, but a node whose event loop stalls for longer is taken for dead (it then drops its peers, which
 * reconnect).
 */
export const DEFAULT_REDIS_PRESENCE_TTL_MS = 5_000;

/** Smallest accepted message limit: a register message or a small SDP must always fit. */
export const MIN_MAX_SIGNALING_MESSAGE_BYTES = 1024;
/** Largest accepted message limit: ws holds a whole message in memory before we see it. */
export const MAX_MAX_SIGNALING_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Shortest timers accepted: below this they would fire before a loopback round trip (tests use ~50 ms). */
export const MIN_TIMER_MS = 10;
/** Longest timers accepted: setTimeout overflows above 2^31-1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;
/** Longest TURN credential lifetime accepted (one week). */
export const MAX_TURN_TTL_SECONDS = 7 * 24 * 3_600;
/** Shortest presence lifetime accepted: refreshes every fifth of it must still outlast a Redis round trip. */
export const MIN_REDIS_PRESENCE_TTL_MS = 500;
/** Longest presence lifetime accepted: a dead node's rooms stay taken at most this long. */
export const MAX_REDIS_PRESENCE_TTL_MS = 600_000;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface TlsOptions {
  /** PEM certificate chain file. */
  readonly certFile: string;
  /** PEM private key file. */
  readonly keyFile: string;
}

export interface SignalingOptions {
  readonly host: string;
  /** 0 picks a free port (see `SignalingServer.port`). */
  readonly port: number;
  readonly maxMessageBytes: number;
  readonly maxRooms: number;
  readonly maxPeersPerRoom: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly ipConnectionsPerSecond: number;
  readonly ipConnectionBurst: number;
  readonly messagesPerSecond: number;
  readonly messageBurst: number;
  readonly maxBufferedBytes: number;
  readonly heartbeatIntervalMs: number;
  readonly idleTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** Take the client address from the last X-Forwarded-For entry (set only behind a reverse proxy you run). */
  readonly trustProxy: boolean;
  /** Browser origins allowed to connect (`https://app.example.com`); empty = any. */
  readonly allowedOrigins: readonly string[];
  /** Shared secret clients present as `?token=` or `Authorization: Bearer`; undefined = open server. */
  readonly accessToken: string | undefined;
  /** Handed to every peer in `registered`. */
  readonly iceServers: readonly IceServer[];
  /** coturn `static-auth-secret`; with `turnUrls`, each peer gets its own short-lived TURN credentials. */
  readonly turnSecret: string | undefined;
  readonly turnUrls: readonly string[];
  readonly turnTtlSeconds: number;
  /** Folder of built web pages: /worker, /master and their assets. */
  readonly staticDir: string | undefined;
  /** Serve https/wss directly (otherwise terminate TLS in a reverse proxy). */
  readonly tls: TlsOptions | undefined;
  /**
   * `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS): nodes started with the same Redis form one
   * signaling service (docs/deploy.md, "Several nodes"). Undefined: one process, rooms in memory.
   */
  readonly redis: string | undefined;
  /** Cluster mode: how long a node's presence outlives its last refresh (see DEFAULT_REDIS_PRESENCE_TTL_MS). */
  readonly redisPresenceTtlMs: number;
  readonly logLevel: LogLevel;
  /** A pino logger to use instead of the default one (pino to stderr at `logLevel`). */
  readonly logger: Logger | undefined;
}

export const DEFAULT_SIGNALING_OPTIONS: SignalingOptions = Object.freeze({
  host: DEFAULT_HOST,
  port: DEFAULT_PORT,
  maxMessageBytes: DEFAULT_MAX_SIGNALING_MESSAGE_BYTES,
  maxRooms: DEFAULT_MAX_ROOMS,
  maxPeersPerRoom: DEFAULT_MAX_PEERS_PER_ROOM,
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  maxConnectionsPerIp: DEFAULT_MAX_CONNECTIONS_PER_IP,
  ipConnectionsPerSecond: DEFAULT_IP_CONNECTIONS_PER_SECOND,
  ipConnectionBurst: DEFAULT_IP_CONNECTION_BURST,
  messagesPerSecond: DEFAULT_MESSAGES_PER_SECOND,
  messageBurst: DEFAULT_MESSAGE_BURST,
  maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES,
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
  idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
  shutdownTimeoutMs: DEFAULT_SHUTDOWN_TIMEOUT_MS,
  trustProxy: false,
  allowedOrigins: [],
  accessToken: undefined,
  iceServers: [],
  turnSecret: undefined,
  turnUrls: [],
  turnTtlSeconds: DEFAULT_TURN_TTL_SECONDS,
  staticDir: undefined,
  tls: undefined,
  redis: undefined,
  redisPresenceTtlMs: DEFAULT_REDIS_PRESENCE_TTL_MS,
  logLevel: DEFAULT_LOG_LEVEL,
  logger: undefined,
});

/** How an option is named in error messages (the CLI names its flags and environment variables instead). */
export type OptionNamer = (key: keyof SignalingOptions) => string;
const backquoted: OptionNamer = (key) => `\`${key}\``;

/** Options whose values must never be echoed in an error message. */
const SECRET_OPTIONS: ReadonlySet<keyof SignalingOptions> = new Set(['accessToken', 'turnSecret']);

/** `` `0` (number) ``, or only the type for secrets. */
function show(key: keyof SignalingOptions, value: unknown): string {
  if (SECRET_OPTIONS.has(key)) return typeof value === 'string' ? `a string of length ${value.length}` : typeof value;
  const text =
    typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? JSON.stringify(value) : String(value);
  return `\`${text.length > 80 ? `${text.slice(0, 77)}...` : text}\` (${Array.isArray(value) ? 'array' : typeof value})`;
}

/** Fills in defaults and checks every option; throws `ConfigError` on the first bad one. */
export function resolveOptions(
  input: Partial<SignalingOptions> = {},
  nameOf: OptionNamer = backquoted,
): SignalingOptions {
  checkKeys(input);
  const read = optionReader(input, nameOf);

  const host = checkHost(read);
  const accessToken = read.optionalString('accessToken');
  if (accessToken !== undefined && /\s/.test(accessToken)) read.fail('accessToken', 'a token without whitespace');
  const allowedOrigins = read.stringList(
    'allowedOrigins',
    isOrigin,
    'a list of origins like "https://app.example.com"',
  );
  const iceServers = checkIceServers(read);
  const { turnSecret, turnUrls } = checkTurn(read);
  const tls = checkTls(read);
  const redis = checkRedis(read);
  const logLevel = read.pick('logLevel');
  if (!(LOG_LEVELS as readonly unknown[]).includes(logLevel)) read.fail('logLevel', `one of ${LOG_LEVELS.join(', ')}`);
  const logger = checkLogger(read);
  const trustProxy = read.pick('trustProxy');
  if (typeof trustProxy !== 'boolean') read.fail('trustProxy', 'a boolean');

  return Object.freeze({
    host,
    port: read.int('port', 0, 65_535),
    maxMessageBytes: read.int('maxMessageBytes', MIN_MAX_SIGNALING_MESSAGE_BYTES, MAX_MAX_SIGNALING_MESSAGE_BYTES),
    maxRooms: read.int('maxRooms', 1),
    maxPeersPerRoom: read.int('maxPeersPerRoom', 2),
    maxConnections: read.int('maxConnections', 1),
    maxConnectionsPerIp: read.int('maxConnectionsPerIp', 1),
    ipConnectionsPerSecond: read.positive('ipConnectionsPerSecond'),
    ipConnectionBurst: read.int('ipConnectionBurst', 1),
    messagesPerSecond: read.positive('messagesPerSecond'),
    messageBurst: read.int('messageBurst', 1),
    maxBufferedBytes: read.int('maxBufferedBytes', 1024),
    heartbeatIntervalMs: read.int('heartbeatIntervalMs', MIN_TIMER_MS, MAX_TIMER_MS),
    idleTimeoutMs: read.int('idleTimeoutMs', MIN_TIMER_MS, MAX_TIMER_MS),
    shutdownTimeoutMs: read.int('shutdownTimeoutMs', 0, MAX_TIMER_MS),
    trustProxy,
    allowedOrigins: allowedOrigins.map((origin) => new URL(origin).origin),
    accessToken,
    iceServers: Object.freeze(iceServers.map((server) => Object.freeze({ ...server }))),
    turnSecret,
    turnUrls,
    turnTtlSeconds: read.int('turnTtlSeconds', 1, MAX_TURN_TTL_SECONDS),
    staticDir: read.optionalString('staticDir'),
    tls: tls === undefined ? undefined : Object.freeze({ certFile: tls.certFile, keyFile: tls.keyFile }),
    redis,
    redisPresenceTtlMs: read.int('redisPresenceTtlMs', MIN_REDIS_PRESENCE_TTL_MS, MAX_REDIS_PRESENCE_TTL_MS),
    logLevel,
    logger,
  });
}

function checkKeys(input: Partial<SignalingOptions>): void {
  if (typeof input !== 'object' || input === null) {
    throw new ConfigError(`Expected the signaling options to be an object, got \`${String(input)}\``);
  }
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(DEFAULT_SIGNALING_OPTIONS, key)) {
      throw new ConfigError(
        `Unknown signaling option \`${key}\` (known: ${Object.keys(DEFAULT_SIGNALING_OPTIONS).join(', ')})`,
      );
    }
  }
}

/** Reads single options from the user's input; each check throws a `ConfigError` naming the option by `nameOf`. */
function optionReader(input: Partial<SignalingOptions>, nameOf: OptionNamer) {
  // Explicit `undefined` means "default", as for an absent key.
  const pick = <K extends keyof SignalingOptions>(key: K): SignalingOptions[K] =>
    input[key] === undefined ? DEFAULT_SIGNALING_OPTIONS[key] : (input[key] as SignalingOptions[K]);
  const fail = (key: keyof SignalingOptions, expected: string, value: unknown = input[key]): never => {
    throw new ConfigError(`Expected ${nameOf(key)} to be ${expected}, got ${show(key, value)}`);
  };
  const int = (key: keyof SignalingOptions, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = pick(key);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(key, max === Number.MAX_SAFE_INTEGER ? `an integer from ${min} and up` : `an integer from ${min} to ${max}`);
    }
    return value as number;
  };
  const positive = (key: keyof SignalingOptions): number => {
    const value = pick(key);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(key, 'a number above 0');
    return value as number;
  };
  const optionalString = (key: 'accessToken' | 'turnSecret' | 'staticDir'): string | undefined => {
    const value = pick(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0) fail(key, 'a non-empty string');
    return value;
  };
  const stringList = (key: 'allowedOrigins' | 'turnUrls', check: (item: string) => boolean, expected: string) => {
    const value = pick(key);
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && check(item))) fail(key, expected);
    return Object.freeze([...value]);
  };
  return { pick, fail, int, positive, optionalString, stringList };
}

type OptionReader = ReturnType<typeof optionReader>;

function checkHost(read: OptionReader): string {
  const host = read.pick('host');
  if (typeof host !== 'string' || host.length === 0 || /[\s/]/.test(host)) {
    read.fail('host', 'a host name or IP address');
  }
  return host;
}

function checkIceServers(read: OptionReader): readonly IceServer[] {
  const iceServers = read.pick('iceServers');
  if (!Array.isArray(iceServers) || !iceServers.every(isIceServer)) {
    read.fail('iceServers', 'a list of {urls, username?, credential?} with stun:, turn: or turns: URLs');
  }
  return iceServers;
}

/** The secret and the URLs only work together: each needs the other. */
function checkTurn(read: OptionReader): { turnSecret: string | undefined; turnUrls: readonly string[] } {
  const turnSecret = read.optionalString('turnSecret');
  const turnUrls = read.stringList('turnUrls', (url) => /^turns?:\S+$/.test(url), 'a list of turn: or turns: URLs');
  if (turnSecret !== undefined && turnUrls.length === 0) {
    read.fail('turnUrls', 'at least one URL when a TURN secret is set');
  }
  if (turnSecret === undefined && turnUrls.length > 0) read.fail('turnSecret', 'set when TURN URLs are given');
  return { turnSecret, turnUrls };
}

function checkTls(read: OptionReader): TlsOptions | undefined {
  const tls = read.pick('tls');
  if (
    tls !== undefined &&
    (typeof tls !== 'object' ||
      tls === null ||
      typeof tls.certFile !== 'string' ||
      typeof tls.keyFile !== 'string' ||
      tls.certFile === '' ||
      tls.keyFile === '')
  ) {
    read.fail('tls', 'an object {certFile, keyFile} naming two PEM files', JSON.stringify(tls));
  }
  return tls;
}

/** Shown redacted when bad: the URL may hold a password. */
function checkRedis(read: OptionReader): string | undefined {
  const redis = read.pick('redis');
  if (redis !== undefined && !isRedisUrl(redis)) {
    read.fail('redis', 'a redis:// or rediss:// URL like redis://127.0.0.1:6379', redactRedisUrl(redis));
  }
  return redis;
}

function checkLogger(read: OptionReader): Logger | undefined {
  const logger = read.pick('logger');
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.child !== 'function')) {
    read.fail('logger', 'a pino logger', typeof logger);
  }
  return logger;
}

/** `https://app.example.com` or `http://localhost:5173`: scheme, host, optional port, nothing else. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '').toLowerCase()
    );
  } catch {
    return false;
  }
}

function isRedisUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A Redis URL as it may be shown in messages and logs: any password replaced. */
export function redactRedisUrl(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    const url = new URL(value);
    if (url.password !== '') url.password = 'REDACTED';
    return url.toString();
  } catch {
    // Not a URL: whatever precedes an @ may be a password.
    return value.replace(/^[^@]*@/, 'REDACTED@');
  }
}

function isIceServer(value: unknown): value is IceServer {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const server = value as Record<string, unknown>;
  const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
  const isUrl = (url: unknown) => typeof url === 'string' && /^(stun|stuns|turn|turns):\S+$/.test(url);
  return (
    Array.isArray(urls) &&
    urls.length > 0 &&
    urls.every(isUrl) &&
    (server.username === undefined || typeof server.username === 'string') &&
    (server.credential === undefined || typeof server.credential === 'string')
  );
}
