/**
 * A peer's connection to the signaling server: opens the WebSocket for the
 * room, registers, and delivers pairing and relay messages. Messages from the
 * server are validated like any other network input.
 */
import { AddressInUseError, ConnectionClosedError, ProtocolError, SignalingError } from '../errors.js';
import type { Platform, WebSocketLike } from '../webrtc/platform.js';
import {
  type ClientMessage,
  FATAL_ERROR_CODES,
  type RegisteredMessage,
  type Role,
  type ServerMessage,
  SIGNALING_ERROR_CODES,
  type SignalingErrorCode,
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
  const known = (SIGNALING_ERROR_CODES as readonly string[]).includes(code);
  return new SignalingError(known ? code : 'UNKNOWN', `signaling server refused: ${code}: ${message}`);
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
    const { platform, role, id } = this.#options;
    return new Promise((resolve, reject) => {
      if (this.#closedByUs) {
        reject(new ConnectionClosedError(`signaling to ${url} was closed before it connected`));
        return;
      }
      let registered = false;
      let disconnected = false;
      // Reported once per socket: a fatal error is followed by the close it announces.
      const disconnect = (reason: Error) => {
        if (disconnected || this.#closedByUs) return;
        disconnected = true;
        servers.failed(url);
        this.#options.onDisconnect(reason);
      };
      let socket: WebSocketLike;
      try {
        socket = new platform.WebSocket(url);
      } catch (err) {
        reject(new ConnectionClosedError(`cannot open ${url}: ${(err as Error).message}`));
        return;
      }
      this.#socket = socket;
      const timer = setTimeout(() => {
        socket.close();
        reject(new ConnectionClosedError(`signaling server at ${url} did not answer within ${REGISTER_TIMEOUT_MS} ms`));
      }, REGISTER_TIMEOUT_MS);
      socket.onopen = () => this.send({ type: 'register', role, id });
      socket.onerror = () => {}; // the close event that follows carries the outcome
      socket.onclose = (event) => {
        clearTimeout(timer);
        const reason = new ConnectionClosedError(
          `signaling connection to ${url} closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`,
        );
        if (!registered) reject(reason);
        else disconnect(reason);
      };
      socket.onmessage = (event) => {
        let message: ServerMessage;
        try {
          message = parseServerMessage(event.data);
        } catch {
          return; // a broken server message is ignored; pairing times out if it mattered
        }
        if (!registered) {
          if (message.type === 'registered') {
            registered = true;
            clearTimeout(timer);
            resolve(message);
          } else if (message.type === 'error') {
            clearTimeout(timer);
            socket.close();
            reject(errorFor(message.code, message.message));
          }
          return;
        }
        if (message.type === 'error' && FATAL_ERROR_CODES.has(message.code as SignalingErrorCode)) {
          disconnect(errorFor(message.code, message.message));
          return;
        }
        this.#options.onMessage(message);
      };
    });
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
