/**
 * One WebSocket client: rate limiting, size check, parsing and dispatch of its
 * frames, error replies (closing after fatal ones), the idle-registration and
 * heartbeat timers, and slow-consumer protection on everything sent to it.
 * Nothing a client sends can throw out of here.
 */
import type { Logger } from 'pino';
import { type RawData, WebSocket } from 'ws';
import { FATAL_ERROR_CODES, type ServerMessage, type SignalingErrorCode } from '../shared/signaling/protocol.js';
import type { ServerContext } from './context.js';
import { handleDisconnect } from './handlers/disconnect.js';
import { dispatch } from './handlers/index.js';
import { parseClientMessage } from './messages.js';
import type { TerminationReason } from './metrics.js';
import { TokenBucket } from './rate-limit.js';
import type { RoomMember } from './rooms.js';

// WebSocket close codes (RFC 6455, section 7.4.1) sent after an error message.
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
export const CLOSE_INTERNAL_ERROR = 1011;
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** The close code that follows an error, so clients that only see the close event still learn the kind. */
export function closeCodeFor(code: SignalingErrorCode): number {
  switch (code) {
    case 'SHUTTING_DOWN':
      return CLOSE_GOING_AWAY;
    case 'TOO_LARGE':
      return CLOSE_MESSAGE_TOO_BIG;
    case 'RATE_LIMITED':
    case 'UNAVAILABLE':
      return CLOSE_TRY_AGAIN_LATER;
    default:
      return CLOSE_POLICY_VIOLATION;
  }
}

/** After the server sends a close frame, the client has this long to answer before its socket is destroyed (ws waits 30 s). */
export const CLOSE_GRACE_MS = 2_000;
/** A client still sending after this many messages dropped in a row by the rate limiter is disconnected. */
export const RATE_LIMIT_DROPS_BEFORE_CLOSE = 100;
/** Codes logged at debug even when they close the connection (see `reject`). */
const QUIET_CODES: ReadonlySet<SignalingErrorCode> = new Set(['RATE_LIMITED', 'SHUTTING_DOWN']);
/** Close reasons are client-visible and capped by the protocol at 123 bytes; logged ones are cut too. */
const CLOSE_REASON_MAX_CHARS = 123;

export class ClientConnection {
  /** Set once `register` succeeded. */
  member: RoomMember | undefined;
  readonly log: Logger;
  private alive = true;
  private closing = false;
  private registerPending = false;
  private droppedInARow = 0;
  private readonly bucket: TokenBucket;
  private idleTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly openedAt = performance.now();

  constructor(
    private readonly ctx: ServerContext,
    readonly ws: WebSocket,
    readonly ip: string,
    /** The room named by the URL; undefined when the path was not a valid room (the connection is then refused). */
    readonly room: string | undefined,
    private readonly onClosed: (connection: ClientConnection) => void,
  ) {
    this.log = ctx.log.child({ ip, room });
    this.bucket = new TokenBucket(ctx.options.messagesPerSecond, ctx.options.messageBurst);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    // The server is built with autoPong off: client pings count against the rate limit like messages, and the
    // pongs go through the slow-consumer check (a client pinging without reading could otherwise fill memory).
    ws.on('ping', (data) => this.onPing(data));
    // ws reports protocol violations (bad frames, bad UTF-8, over maxPayload) here, then closes the socket itself.
    ws.on('error', (err: Error & { code?: string }) =>
      this.log.debug({ error: err.code ?? err.message }, 'socket error'),
    );
    ws.once('close', (code, reason) => this.onClose(code, reason));
  }

  /** The client must register within `ms`, or it is told NOT_REGISTERED and closed. */
  startIdleTimer(ms: number): void {
    this.idleTimer = setTimeout(() => {
      if (this.member || this.closing) return;
      this.ctx.counters.terminated.idle += 1;
      this.reject('NOT_REGISTERED', `no register message within ${ms} ms`, true);
    }, ms);
  }

  /** A `register` is being processed (a cluster directory answers later); the idle timer no longer applies. */
  registering(): void {
    this.registerPending = true;
    clearTimeout(this.idleTimer);
  }

  registeringDone(): void {
    this.registerPending = false;
  }

  get isRegistering(): boolean {
    return this.registerPending;
  }

  registered(member: RoomMember): void {
    this.member = member;
    clearTimeout(this.idleTimer);
  }

  /** False once closing has started, by either side. */
  get open(): boolean {
    return !this.closing;
  }

  send(message: ServerMessage): void {
    this.sendText(JSON.stringify(message));
  }

  /** Sends unless closed; a client that lets more than `maxBufferedBytes` pile up is dropped. */
  sendText(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(text);
    if (this.ws.bufferedAmount > this.ctx.options.maxBufferedBytes) this.terminate('slow_consumer');
  }

  /** Sends `{type:'error'}`; fatal codes (or `close`) then close the socket. */
  reject(code: SignalingErrorCode, reason: string, close = FATAL_ERROR_CODES.has(code)): void {
    if (this.closing) return;
    this.ctx.counters.rejected[code] += 1;
    // Fatal rejections are worth a line; per-message ones, rate limiting and shutdown would let a flood of
    // messages or connections become a flood of log lines.
    const level = close && !QUIET_CODES.has(code) ? 'info' : 'debug';
    this.log[level]({ code, reason, peer: this.member?.id }, 'rejected');
    this.send({ type: 'error', code, message: reason });
    if (close) this.close(closeCodeFor(code), code);
  }

  /** Starts the closing handshake, destroying the socket if the client does not answer within CLOSE_GRACE_MS. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.idleTimer);
    this.ws.close(code, reason);
    this.closeTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
  }

  /** Destroys the socket at once (dead or hostile client); counted by reason. */
  terminate(reason: TerminationReason): void {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ctx.counters.terminated[reason] += 1;
    this.log.info({ reason, peer: this.member?.id }, 'terminated');
    this.closing = true;
    this.ws.terminate();
  }

  /** Called by the server every heartbeat interval: drops the socket if the previous ping got no pong. */
  heartbeat(): void {
    if (!this.alive) {
      this.terminate('heartbeat');
      return;
    }
    this.alive = false;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  private onMessage(raw: RawData, isBinary: boolean): void {
    if (this.closing) return;
    this.ctx.counters.messagesReceived += 1;
    try {
      if (!this.admit()) return;
      const data = toBuffer(raw);
      const limit = this.ctx.options.maxMessageBytes;
      if (data.length > limit) {
        this.reject('TOO_LARGE', `message of ${data.length} bytes is over the ${limit}-byte limit`);
        return;
      }
      const parsed = parseClientMessage(data, isBinary);
      if (parsed.ok) dispatch(this, parsed.message, this.ctx);
      else this.reject(parsed.code, parsed.reason);
    } catch (err) {
      // A bug costs this connection, never the server.
      this.log.error({ err }, 'message handler failed');
      this.close(CLOSE_INTERNAL_ERROR, 'internal error');
    }
  }

  private onPing(data: Buffer): void {
    if (this.closing || !this.admit() || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.pong(data);
    if (this.ws.bufferedAmount > this.ctx.options.maxBufferedBytes) this.terminate('slow_consumer');
  }

  /** Takes a token for an incoming frame; false (and rate-limit handling) when there is none. */
  private admit(): boolean {
    if (this.member?.role === 'master' && this.room !== undefined) {
      this.bucket.scale(1 + this.ctx.rooms.workerCount(this.room));
    }
    if (this.bucket.take()) {
      this.droppedInARow = 0;
      return true;
    }
    this.onRateLimited();
    return false;
  }

  /** The first dropped message of a run is answered; later ones are dropped silently, and a long run closes. */
  private onRateLimited(): void {
    this.droppedInARow += 1;
    const rate = this.ctx.options.messagesPerSecond;
    if (this.droppedInARow === 1) {
      this.reject('RATE_LIMITED', `over ${rate} messages per second; messages are being dropped`);
    } else if (this.droppedInARow > RATE_LIMIT_DROPS_BEFORE_CLOSE) {
      this.reject('RATE_LIMITED', `still over ${rate} messages per second; closing`, true);
    }
  }

  private onClose(code: number, reason: Buffer): void {
    this.closing = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.closeTimer);
    try {
      handleDisconnect(this, this.ctx, code);
      this.log.info(
        {
          peer: this.member?.id,
          role: this.member?.role,
          code,
          reason: reason.toString('utf8').slice(0, CLOSE_REASON_MAX_CHARS),
          durationMs: Math.round(performance.now() - this.openedAt),
        },
        'connection closed',
      );
    } catch (err) {
      this.log.error({ err }, 'disconnect handler failed');
    } finally {
      this.onClosed(this);
    }
  }
}

/** ws hands text and binary frames as Buffer by default; the other shapes are normalised defensively. */
function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
