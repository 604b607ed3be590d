/**
 * The signaling server: one HTTP(S) listener serving /healthz, /metrics and
 * the web pages, whose WebSocket upgrades become client connections. This file
 * wires the parts together and owns the lifecycle (listen, heartbeat, close).
 */

import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
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
import {
  clientIp,
  hasAccessToken,
  limitKey,
  originAllowed,
  parseRequestTarget,
  redactUrl,
  roomFromUrl,
} from './upgrade-request.js';

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
  const counters = new SignalingCounters();
  const connections = new Set<ClientConnection>();
  // The cluster no longer knows this node's peers: they reconnect (to another node if they know one).
  const rooms = await openDirectory(options, log, () => {
    for (const connection of connections) {
      if (connection.member) connection.reject('UNAVAILABLE', 'this signaling node lost the cluster (Redis)');
    }
  });
  const ctx: ServerContext = { options, rooms, counters, log, finished: new FinishedRooms(options.maxRooms) };
  const ipLimiter = new IpLimiter({
    maxPerIp: options.maxConnectionsPerIp,
    perSecond: options.ipConnectionsPerSecond,
    burst: options.ipConnectionBurst,
  });
  const startedAt = performance.now();
  let shuttingDown = false;
  let whenEmpty: (() => void) | undefined;

  const stats = (): SignalingStats => ({
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
  });

  const handler = createHttpHandler({
    staticDir: options.staticDir,
    metrics: () => renderMetrics(stats()),
    isShuttingDown: () => shuttingDown,
    cluster: () => rooms.clusterStats(),
    log,
  });
  let httpServer: Server;
  try {
    httpServer = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  } catch (err) {
    throw new ConfigError(`Expected \`tls\` to name a matching PEM certificate and key: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes * HARD_PAYLOAD_FACTOR,
    // Compression would let a small frame inflate into a large message, and SDPs are small anyway.
    perMessageDeflate: false,
    clientTracking: false,
    // Client pings are answered by ClientConnection, under the rate limit (see connection.ts).
    autoPong: false,
  });

  function accept(ws: WebSocket, req: IncomingMessage): void {
    const target = parseRequestTarget(req.url);
    const ip = clientIp(req, options.trustProxy);
    const ipKey = limitKey(ip);
    let holdsIpSlot = false;
    const connection = new ClientConnection(ctx, ws, ip, roomFromUrl(target), (closed) => {
      connections.delete(closed);
      if (holdsIpSlot) ipLimiter.release(ipKey);
      if (connections.size === 0) whenEmpty?.();
    });
    connections.add(connection);
    counters.connectionsAccepted += 1;
    connection.log.info({ url: redactUrl(req.url), origin: req.headers.origin }, 'connection opened');

    // Checked in this order so that unauthorised clients learn nothing about rooms.
    const verdict = ipLimiter.acquire(ipKey);
    if (verdict !== 'ok') {
      const reason =
        verdict === 'too-many'
          ? `over ${options.maxConnectionsPerIp} open connections from one address`
          : `over ${options.ipConnectionsPerSecond} new connections per second from one address`;
      connection.reject('RATE_LIMITED', reason, true);
      return;
    }
    holdsIpSlot = true;
    if (!originAllowed(req, options.allowedOrigins)) {
      connection.reject('UNAUTHORIZED', 'origin not allowed');
      return;
    }
    if (options.accessToken !== undefined && !hasAccessToken(req, target, options.accessToken)) {
      connection.reject('UNAUTHORIZED', 'missing or wrong access token');
      return;
    }
    if (connection.room === undefined) {
      connection.reject('BAD_ROOM', 'the URL path must name a room: letters, digits, . _ ~ - and /, at most 128 chars');
      return;
    }
    connection.startIdleTimer(options.idleTimeoutMs);
  }

  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A reset in mid-handshake must not become an uncaught 'error'.
    socket.on('error', () => {});
    if (shuttingDown || connections.size >= options.maxConnections) {
      counters.upgradesRefused += 1;
      refuseUpgrade(socket);
      return;
    }
    // Bad handshakes get a 400 from ws itself and never reach `accept`.
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req));
  });

  // Bounds on plain HTTP clients too: slow senders of headers, and sockets beyond the WebSocket cap.
  httpServer.headersTimeout = HTTP_HEADERS_TIMEOUT_MS;
  httpServer.requestTimeout = HTTP_REQUEST_TIMEOUT_MS;
  httpServer.maxConnections = options.maxConnections + HTTP_CONNECTION_HEADROOM;

  try {
    await listen(httpServer, options.host, options.port);
  } catch (err) {
    await rooms.close();
    throw err;
  }
  httpServer.on('error', (err) => log.error({ err }, 'listener error'));

  const heartbeatTimer = setInterval(() => {
    for (const connection of connections) connection.heartbeat();
  }, options.heartbeatIntervalMs);
  const sweepTimer = setInterval(() => ipLimiter.sweep(), IP_SWEEP_INTERVAL_MS);
  sweepTimer.unref();

  const port = (httpServer.address() as AddressInfo).port;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `${tls ? 'https' : 'http'}://${hostInUrl}:${port}`;
  const wsBase = `${tls ? 'wss' : 'ws'}://${hostInUrl}:${port}`;
  log.info({ url: wsBase, tls: tls !== undefined }, 'listening');

  /** Resolves once every connection has emitted 'close'. */
  const allClosed = (): Promise<void> =>
    connections.size === 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          whenEmpty = resolve;
        });

  async function shutdown(): Promise<void> {
    shuttingDown = true;
    clearInterval(heartbeatTimer);
    clearInterval(sweepTimer);
    log.info({ connections: connections.size }, 'shutting down');
    const listenerClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    httpServer.closeIdleConnections();
    for (const connection of connections) connection.reject('SHUTTING_DOWN', 'the server is shutting down');
    await withDeadline(allClosed(), options.shutdownTimeoutMs);
    // Whoever did not answer the close frame in time is cut off.
    for (const connection of connections) connection.ws.terminate();
    httpServer.closeAllConnections();
    await withDeadline(Promise.all([allClosed(), listenerClosed]), FINAL_CLOSE_GRACE_MS);
    wss.close();
    // After every peer has left: a cluster node then gives back what is left of its rooms at once.
    await rooms.close();
    log.info('stopped');
  }

  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    url,
    wsUrl: (room) => `${wsBase}/${room}`,
    close: () => {
      closing ??= shutdown();
      return closing;
    },
    stats,
  };
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

async function readTls(tls: TlsOptions): Promise<{ cert: Buffer; key: Buffer }> {
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
