/**
 * The signaling server: one HTTP(S) listener serving /healthz, /metrics and
 * the web pages, whose WebSocket upgrades become client connections. This file
 * wires the parts together and owns the lifecycle (listen, heartbeat, close).
 */

import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { refusalOf } from './admission.js';
import { resolveOptions, type SignalingOptions, type TlsOptions } from './config.js';
import { ClientConnection } from './connection.js';
import type { ServerContext } from './context.js';
import type { RoomDirectory } from './directory.js';
import { ConfigError, ListenError } from './errors.js';
import { FinishedRooms } from './finished-rooms.js';
import { createHttpHandler } from './http.js';
import { createLogger } from './logger.js';
import { MemoryDirectory } from './memory-directory.js';
import { renderMetrics, SignalingCounters, type SignalingStats } from './metrics.js';
import { IpLimiter } from './rate-limit.js';
import { clientIp, limitKey, parseRequestTarget, redactUrl, roomFromUrl } from './upgrade-request.js';

/**
 * ws reads whole frames up to this multiple of `maxMessageBytes`, so a client
 * slightly over the limit is told TOO_LARGE; bigger frames make ws close the
 * connection (code 1009) before buffering them.
 */
export const HARD_PAYLOAD_FACTOR = 2;
/** How often per-address entries with no connection and a full bucket are forgotten. */
export const IP_SWEEP_INTERVAL_MS = 60_000;
/** After the last sockets are destroyed on close(), the most we wait for the listener to report closed. */
export const FINAL_CLOSE_GRACE_MS = 1_000;

/** Real clients send their request headers in one packet; a slow trickle is an attack (Slowloris). */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
/** Whole plain HTTP requests (health checks, pages) are small. */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;
/** TCP sockets allowed beyond maxConnections, so /healthz and page loads still work when the WebSocket cap is hit. */
export const HTTP_CONNECTION_HEADROOM = 1_000;

export interface SignalingServer {
  /** The host the server listens on, as configured. */
  readonly host: string;
  /** The port it listens on (the real one when 0 was asked for). */
  readonly port: number;
  /** HTTP base URL without a trailing slash, e.g. `http://127.0.0.1:8080` (https with TLS). */
  readonly url: string;
  /** WebSocket URL of a room, e.g. `ws://127.0.0.1:8080/room` (wss with TLS); the room is not checked. */
  wsUrl(room: string): string;
  /** Graceful stop: refuses new connections, sends SHUTTING_DOWN, closes within `shutdownTimeoutMs`. Idempotent. */
  close(): Promise<void>;
  /** Counters and gauges, as exported on /metrics. */
  stats(): SignalingStats;
}

export async function startSignalingServer(input: Partial<SignalingOptions> = {}): Promise<SignalingServer> {
  const options = resolveOptions(input);
  const log = createLogger(options);
  const tls = options.tls ? await readTls(options.tls) : undefined;
  const state = await createState(options, log);
  const { rooms, counters } = state.ctx;
  const startedAt = performance.now();
  const stats = (): SignalingStats => statsSnapshot(state.connections, rooms, counters, startedAt);

  const handler = createHttpHandler({
    staticDir: options.staticDir,
    metrics: () => renderMetrics(stats()),
    isShuttingDown: () => state.shuttingDown,
    cluster: () => rooms.clusterStats(),
    log,
  });
  const wss = createWebSocketServer(options.maxMessageBytes);
  let httpServer: Server;
  try {
    httpServer = createListener(tls, handler, options.maxConnections);
    httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      onUpgrade(state, wss, req, socket, head),
    );
    await listen(httpServer, options.host, options.port);
  } catch (err) {
    // Nothing will serve: the room directory (in cluster mode a Redis connection) is let go as well.
    await rooms.close();
    throw err;
  }
  httpServer.on('error', (err) => log.error({ err }, 'listener error'));
  const stopTimers = startTimers(state);

  const port = (httpServer.address() as AddressInfo).port;
  const { url, wsBase } = baseUrls(options.host, port, tls !== undefined);
  log.info({ url: wsBase, tls: tls !== undefined }, 'listening');

  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    url,
    wsUrl: (room) => `${wsBase}/${room}`,
    close: () => {
      closing ??= shutdown(state, httpServer, wss, stopTimers);
      return closing;
    },
    stats,
  };
}

/** What the upgrade, connection and shutdown steps below share with `startSignalingServer`. */
interface ServerState {
  readonly ctx: ServerContext;
  readonly connections: Set<ClientConnection>;
  readonly ipLimiter: IpLimiter;
  /** Set by close(): upgrades are then refused, and /healthz says so. */
  shuttingDown: boolean;
  /** Called when the last connection has closed (set while close() waits for that, see `allClosed`). */
  whenEmpty: (() => void) | undefined;
}

/** Async because the room directory may first have to reach Redis (cluster mode). */
async function createState(options: SignalingOptions, log: Logger): Promise<ServerState> {
  const counters = new SignalingCounters();
  const connections = new Set<ClientConnection>();
  // The cluster no longer knows this node's peers: they reconnect (to another node if they know one).
  const rooms = await openDirectory(options, log, () => {
    for (const connection of connections) {
      if (connection.member) connection.reject('UNAVAILABLE', 'this signaling node lost the cluster (Redis)');
    }
  });
  return {
    ctx: { options, rooms, counters, log, finished: new FinishedRooms(options.maxRooms) },
    connections,
    ipLimiter: new IpLimiter({
      maxPerIp: options.maxConnectionsPerIp,
      perSecond: options.ipConnectionsPerSecond,
      burst: options.ipConnectionBurst,
    }),
    shuttingDown: false,
    whenEmpty: undefined,
  };
}

function statsSnapshot(
  connections: ReadonlySet<ClientConnection>,
  rooms: RoomDirectory,
  counters: SignalingCounters,
  startedAt: number,
): SignalingStats {
  return {
    connections: connections.size,
    rooms: rooms.roomCount,
    masters: rooms.masters,
    workers: rooms.workers,
    connectionsAccepted: counters.connectionsAccepted,
    upgradesRefused: counters.upgradesRefused,
    messagesReceived: counters.messagesReceived,
    messagesRelayed: counters.messagesRelayed,
    pairings: counters.pairings,
    rejected: { ...counters.rejected },
    terminated: { ...counters.terminated },
    uptimeSeconds: (performance.now() - startedAt) / 1000,
    cluster: rooms.clusterStats(),
  };
}

/**
 * The HTTP(S) listener, with bounds on plain HTTP clients too: slow senders of
 * headers, and sockets beyond the WebSocket cap.
 */
function createListener(tls: PemPair | undefined, handler: RequestListener, maxConnections: number): Server {
  let server: Server;
  try {
    server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  } catch (err) {
    throw new ConfigError(`Expected \`tls\` to name a matching PEM certificate and key: ${(err as Error).message}`, {
      cause: err,
    });
  }
  server.headersTimeout = HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = HTTP_REQUEST_TIMEOUT_MS;
  server.maxConnections = maxConnections + HTTP_CONNECTION_HEADROOM;
  return server;
}

function createWebSocketServer(maxMessageBytes: number): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes * HARD_PAYLOAD_FACTOR,
    // Compression would let a small frame inflate into a large message, and SDPs are small anyway.
    perMessageDeflate: false,
    clientTracking: false,
    // Client pings are answered by ClientConnection, under the rate limit (see connection.ts).
    autoPong: false,
  });
}

function onUpgrade(state: ServerState, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  // A reset in mid-handshake must not become an uncaught 'error'.
  socket.on('error', () => {});
  if (state.shuttingDown || state.connections.size >= state.ctx.options.maxConnections) {
    state.ctx.counters.upgradesRefused += 1;
    refuseUpgrade(socket);
    return;
  }
  // Bad handshakes get a 400 from ws itself and never reach `accept`.
  wss.handleUpgrade(req, socket, head, (ws) => accept(state, ws, req));
}

/** Makes the socket a ClientConnection, which must then pass the admission checks (admission.ts) and register. */
function accept(state: ServerState, ws: WebSocket, req: IncomingMessage): void {
  const { ctx, connections, ipLimiter } = state;
  const { options } = ctx;
  const target = parseRequestTarget(req.url);
  const ip = clientIp(req, options.trustProxy);
  const ipKey = limitKey(ip);
  let holdsIpSlot = false;
  const connection = new ClientConnection(ctx, ws, ip, roomFromUrl(target), (closed) => {
    connections.delete(closed);
    if (holdsIpSlot) ipLimiter.release(ipKey);
    if (connections.size === 0) state.whenEmpty?.();
  });
  connections.add(connection);
  ctx.counters.connectionsAccepted += 1;
  connection.log.info({ url: redactUrl(req.url), origin: req.headers.origin }, 'connection opened');

  const verdict = ipLimiter.acquire(ipKey);
  holdsIpSlot = verdict === 'ok';
  const refusal = refusalOf({ req, target, room: connection.room, verdict }, options);
  if (refusal) connection.reject(refusal.code, refusal.reason, refusal.close);
  else connection.startIdleTimer(options.idleTimeoutMs);
}

/** Starts the heartbeat and the sweep of idle addresses; returns what stops both. */
function startTimers(state: ServerState): () => void {
  const heartbeatTimer = setInterval(() => {
    for (const connection of state.connections) connection.heartbeat();
  }, state.ctx.options.heartbeatIntervalMs);
  const sweepTimer = setInterval(() => state.ipLimiter.sweep(), IP_SWEEP_INTERVAL_MS);
  sweepTimer.unref();
  return () => {
    clearInterval(heartbeatTimer);
    clearInterval(sweepTimer);
  };
}

/** The HTTP and WebSocket base URLs (https and wss with TLS); an IPv6 host goes in brackets. */
function baseUrls(host: string, port: number, tls: boolean): { url: string; wsBase: string } {
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${tls ? 'https' : 'http'}://${hostInUrl}:${port}`,
    wsBase: `${tls ? 'wss' : 'ws'}://${hostInUrl}:${port}`,
  };
}

/** The sequence behind `SignalingServer.close`. */
async function shutdown(
  state: ServerState,
  httpServer: Server,
  wss: WebSocketServer,
  stopTimers: () => void,
): Promise<void> {
  const { connections, ctx } = state;
  state.shuttingDown = true;
  stopTimers();
  ctx.log.info({ connections: connections.size }, 'shutting down');
  const listenerClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
  httpServer.closeIdleConnections();
  for (const connection of connections) connection.reject('SHUTTING_DOWN', 'the server is shutting down');
  await withDeadline(allClosed(state), ctx.options.shutdownTimeoutMs);
  // Whoever did not answer the close frame in time is cut off.
  for (const connection of connections) connection.ws.terminate();
  httpServer.closeAllConnections();
  await withDeadline(Promise.all([allClosed(state), listenerClosed]), FINAL_CLOSE_GRACE_MS);
  wss.close();
  // After every peer has left: a cluster node then gives back what is left of its rooms at once.
  await ctx.rooms.close();
  ctx.log.info('stopped');
}

/** Resolves once every connection has emitted 'close'. */
function allClosed(state: ServerState): Promise<void> {
  return state.connections.size === 0
    ? Promise.resolve()
    : new Promise((resolve) => {
        state.whenEmpty = resolve;
      });
}

/** Rooms in memory, or with `redis` shared by every node on that Redis (whose client is loaded only then). */
async function openDirectory(options: SignalingOptions, log: Logger, onLost: () => void): Promise<RoomDirectory> {
  if (options.redis === undefined) return new MemoryDirectory(options);
  const { RedisDirectory } = await import('./redis-directory.js');
  return RedisDirectory.start({
    url: options.redis,
    presenceTtlMs: options.redisPresenceTtlMs,
    maxRooms: options.maxRooms,
    maxPeersPerRoom: options.maxPeersPerRoom,
    maxMessageBytes: options.maxMessageBytes,
    log,
    onLost,
  });
}

/** Waits for `promise`, but no longer than `ms`. */
async function withDeadline(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) =>
      reject(new ListenError(`cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Answers an upgrade with 503 and drops the socket, before any WebSocket state exists. */
function refuseUpgrade(socket: Duplex): void {
  const body = 'server unavailable\n';
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
}

/** The contents of the two files named by `tls`. */
interface PemPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

async function readTls(tls: TlsOptions): Promise<PemPair> {
  const read = (file: string, option: string) =>
    readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new ConfigError(
        `Expected \`${option}\` to name a readable PEM file, got ${JSON.stringify(file)} (${err.code})`,
        {
          cause: err,
        },
      );
    });
  return { cert: await read(tls.certFile, 'tls.certFile'), key: await read(tls.keyFile, 'tls.keyFile') };
}
