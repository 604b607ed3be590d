/**
 * A cluster node's two connections to Redis: one for commands, one
 * subscribed to this node's channel (a subscribed connection can do nothing
 * else). ioredis reconnects both by itself, with backoff; this class only
 * reports when either is lost and when both are usable again, so that the
 * directory can drop its peers and later start over with a clean slate.
 *
 * Commands never wait for a connection: while one is down they fail at once
 * (no offline queue), and those in flight when it drops fail with it (no
 * replay), so nothing stale reaches Redis after a reconnect.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { redactRedisUrl } from './config.js';
import { RedisUnavailableError } from './errors.js';

/** The first connection must be up within this, or the node does not start. */
export const REDIS_START_TIMEOUT_MS = 5_000;
/** A command that gets no answer within this fails (Redis hung or the network lost): long enough for a busy Redis. */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** Reconnect delays: 50 ms more per attempt, at most this (a restarted Redis is found within it). */
export const REDIS_RECONNECT_MAX_MS = 1_000;
const RECONNECT_STEP_MS = 50;
/** Connection errors repeat on every reconnect attempt: one line per this many, the rest counted. */
const ERROR_LOG_EVERY = 20;

export interface RedisLinkHandlers {
  /** A message on this node's channel. */
  onMessage(payload: string): void;
  /** Both connections are up again after a loss (not called for the first connection). */
  onReady(): void;
  /** A connection was lost; `reason` is safe to log. */
  onLost(reason: string): void;
  /** A failed command or connection, for the error counter. */
  onError(): void;
}

export class RedisLink {
  readonly commands: Redis;
  readonly subscriber: Redis;
  private connected = false;
  /** Set once `open` succeeded: readiness before that is the first connection, not a recovery. */
  private opened = false;
  private errors = 0;
  /** The last connection error, which says more than "Connection is closed" (a wrong password, a refused port). */
  private lastError: string | undefined;

  private constructor(
    private readonly url: string,
    private readonly log: Logger,
    private readonly handlers: RedisLinkHandlers,
  ) {
    const options: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      // 0: commands in flight when a connection drops fail at the first reconnect attempt instead of waiting.
      maxRetriesPerRequest: 0,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: REDIS_START_TIMEOUT_MS,
      enableAutoPipelining: true,
      retryStrategy: (attempt) => Math.min(attempt * RECONNECT_STEP_MS, REDIS_RECONNECT_MAX_MS),
      connectionName: 'peerproc-signal',
    };
    this.commands = new Redis(url, options);
    this.subscriber = new Redis(url, options);
    for (const connection of [this.commands, this.subscriber]) {
      connection.on('error', (err: Error) => this.onConnectionError(err));
      connection.on('close', () => {
        if (!this.connected) return;
        this.connected = false;
        this.handlers.onError();
        this.handlers.onLost(`lost the connection to Redis at ${this.shownUrl}`);
      });
      connection.on('ready', () => {
        if (!this.opened || this.connected || this.commands.status !== 'ready' || this.subscriber.status !== 'ready')
          return;
        this.connected = true;
        this.handlers.onReady();
      });
    }
    this.subscriber.on('message', (_channel: string, payload: string) => this.handlers.onMessage(payload));
  }

  /** Connects both; rejects with RedisUnavailableError if Redis does not answer within REDIS_START_TIMEOUT_MS. */
  static async open(url: string, log: Logger, handlers: RedisLinkHandlers): Promise<RedisLink> {
    const link = new RedisLink(url, log, handlers);
    try {
      await withTimeout(
        Promise.all([link.commands.connect(), link.subscriber.connect()]),
        REDIS_START_TIMEOUT_MS,
        `no answer within ${REDIS_START_TIMEOUT_MS} ms`,
      );
    } catch (err) {
      link.close();
      const reason = (err as Error).message || String(err);
      const detail = link.lastError && link.lastError !== reason ? ` (${link.lastError})` : '';
      throw new RedisUnavailableError(`cannot reach Redis at ${link.shownUrl}: ${reason}${detail}`, { cause: err });
    }
    link.opened = true;
    link.connected = true;
    return link;
  }

  get up(): boolean {
    return this.connected;
  }

  get shownUrl(): string {
    return String(redactRedisUrl(this.url));
  }

  /** Subscribes the subscriber connection (again, after a reconnect) to `channel`. */
  async subscribe(channel: string): Promise<void> {
    await this.subscriber.subscribe(channel);
  }

  close(): void {
    this.connected = false;
    this.commands.disconnect();
    this.subscriber.disconnect();
  }

  private onConnectionError(err: Error): void {
    this.lastError = err.message;
    this.handlers.onError();
    this.errors += 1;
    if (this.errors % ERROR_LOG_EVERY === 1) {
      this.log.warn({ error: err.message, redis: this.shownUrl, errors: this.errors }, 'redis connection error');
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
