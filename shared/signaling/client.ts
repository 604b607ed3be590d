/**
 * A peer's connection to the signaling server: opens the WebSocket for the
 * room, registers, and delivers pairing and relay messages. Messages from the
 * server are validated like any other network input.
 */
import {
  AddressInUseError,
  type CodeOf,
  ConnectionClosedError,
  ERROR_CODES,
  isErrorCode,
  ProtocolError,
  SignalingError,
} from '../errors.js';
import type { Platform, WebSocketLike } from '../webrtc/platform.js';
import {
  type ClientMessage,
  FATAL_ERROR_CODES,
  type RegisteredMessage,
  type Role,
  type ServerMessage,
  type SignalingErrorCode,
  withoutQuery,
} from './protocol.js';
import { SignalingServers } from './servers.js';

/** Longest time to open the socket and get `registered` back. */
const REGISTER_TIMEOUT_MS = 10_000;
/** Largest message accepted from the server (SDPs are a few KiB). */
const MAX_SERVER_MESSAGE_CHARS = 256 * 1024;
const WS_OPEN = 1;

export interface SignalingClientOptions {
  platform: Platform;
  /** WebSocket URL of the room (from parseAddress). */
  url: string;
  /** Several servers of one cluster for the room (an address list), shared by successive clients; wins over `url`. */
  servers?: SignalingServers;
  role: Role;
  id: string;
  onMessage(message: ServerMessage): void;
  /** The socket closed after registering (server restart, network loss). */
  onDisconnect(reason: Error): void;
}

function parseServerMessage(data: unknown): ServerMessage {
  if (typeof data !== 'string' || data.length > MAX_SERVER_MESSAGE_CHARS) {
    throw new ProtocolError('signaling server sent a non-text or oversized message');
  }
  const m = JSON.parse(data) as Record<string, unknown>;
  if (typeof m !== 'object' || m === null || typeof m.type !== 'string') {
    throw new ProtocolError('signaling server sent a message without a type');
  }
  const str = (k: string) => typeof m[k] === 'string';
  const ok =
    (m.type === 'registered' && str('id') && str('room') && Array.isArray(m.iceServers)) ||
    ((m.type === 'peer' || m.type === 'master' || m.type === 'peer-left' || m.type === 'master-left') && str('peer')) ||
    (m.type === 'signal' && str('from')) ||
    m.type === 'pong' ||
    (m.type === 'error' && str('code') && str('message'));
  if (!ok) throw new ProtocolError(`signaling server sent a malformed ${JSON.stringify(m.type).slice(0, 40)} message`);
  return m as unknown as ServerMessage;
}

function errorFor(code: string, message: string): Error {
  if (code === 'ADDRESS_IN_USE') return new AddressInUseError(`address in use: ${message}`);
  const known = isErrorCode(code) && ERROR_CODES[code] === 'SignalingError';
  return new SignalingError(
    known ? (code as CodeOf<'SignalingError'>) : 'UNKNOWN',
    `signaling server refused: ${code}: ${message}`,
  );
}

/** One connect() in progress: until `registered`, its promise is still to settle. */
interface Registration {
  url: string;
  servers: SignalingServers;
  registered: boolean;
  /** The loss of a registered socket is reported once: a fatal error is followed by the close it announces. */
  disconnected: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve(message: RegisteredMessage): void;
  reject(err: Error): void;
}

export class SignalingClient {
  readonly #options: SignalingClientOptions;
  #socket: WebSocketLike | undefined;
  #closedByUs = false;

  constructor(options: SignalingClientOptions) {
    this.#options = options;
  }

  /** Opens the socket and registers (with the first server that answers); rejects with a refusal or a connection error. */
  connect(): Promise<RegisteredMessage> {
    const servers = this.#options.servers ?? new SignalingServers([this.#options.url]);
    return servers.connectFirst((url) => this.#connectTo(url, servers));
  }

  #connectTo(url: string, servers: SignalingServers): Promise<RegisteredMessage> {
    const { platform } = this.#options;
    return new Promise((resolve, reject) => {
      if (this.#closedByUs) {
        reject(
          new ConnectionClosedError(
            'SIGNALING_CLOSED',
            `signaling to ${withoutQuery(url)} was closed before it connected`,
          ),
        );
        return;
      }
      let socket: WebSocketLike;
      try {
        socket = new platform.WebSocket(url);
      } catch (err) {
        reject(
          new ConnectionClosedError(
            'SIGNALING_UNREACHABLE',
            `cannot open ${withoutQuery(url)}: ${(err as Error).message}`,
          ),
        );
        return;
      }
      this.#socket = socket;
      const registration: Registration = {
        url,
        servers,
        registered: false,
        disconnected: false,
        timer: setTimeout(() => {
          socket.close();
          reject(
            new ConnectionClosedError(
              'SIGNALING_UNREACHABLE',
              `signaling server at ${withoutQuery(url)} did not answer within ${REGISTER_TIMEOUT_MS} ms`,
            ),
          );
        }, REGISTER_TIMEOUT_MS),
        resolve,
        reject,
      };
      socket.onopen = () => this.send({ type: 'register', role: this.#options.role, id: this.#options.id });
      socket.onerror = () => {}; // the close event that follows carries the outcome
      socket.onclose = (event) => this.#onClose(registration, event);
      socket.onmessage = (event) => this.#onMessage(registration, event.data);
    });
  }

  #onClose(registration: Registration, event: { code: number; reason: string }): void {
    clearTimeout(registration.timer);
    const reason = new ConnectionClosedError(
      registration.registered ? 'SIGNALING_CLOSED' : 'SIGNALING_UNREACHABLE',
      `signaling connection to ${withoutQuery(registration.url)} closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`,
    );
    if (!registration.registered) registration.reject(reason);
    else this.#disconnect(registration, reason);
  }

  /** A registered socket is gone: the next connect() starts from the next server. */
  #disconnect(registration: Registration, reason: Error): void {
    if (registration.disconnected || this.#closedByUs) return;
    registration.disconnected = true;
    registration.servers.failed(registration.url);
    this.#options.onDisconnect(reason);
  }

  #onMessage(registration: Registration, data: unknown): void {
    let message: ServerMessage;
    try {
      message = parseServerMessage(data);
    } catch {
      return; // a broken server message is ignored; pairing times out if it mattered
    }
    if (!registration.registered) {
      this.#onRegistrationReply(registration, message);
    } else if (message.type === 'error' && FATAL_ERROR_CODES.has(message.code as SignalingErrorCode)) {
      this.#disconnect(registration, errorFor(message.code, message.message));
    } else {
      this.#options.onMessage(message);
    }
  }

  /** Before `registered`, only the registration's outcome matters. */
  #onRegistrationReply(registration: Registration, message: ServerMessage): void {
    if (message.type === 'registered') {
      registration.registered = true;
      clearTimeout(registration.timer);
      registration.resolve(message);
    } else if (message.type === 'error') {
      clearTimeout(registration.timer);
      this.#socket?.close();
      registration.reject(errorFor(message.code, message.message));
    }
  }

  send(message: ClientMessage): void {
    if (this.#socket?.readyState === WS_OPEN) this.#socket.send(JSON.stringify(message));
  }

  /** Closes the socket; a master that shut down passes CLOSE_MASTER_FINISHED. */
  close(code?: number, reason?: string): void {
    this.#closedByUs = true;
    this.#socket?.close(code, reason);
  }
}
