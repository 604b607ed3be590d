/**
 * Messages between peers and the signaling server (JSON text frames over a
 * WebSocket at `ws(s)://host:port/<room>`). The server only pairs peers and
 * relays `signal` payloads between a master and one of its workers; it never
 * sees the data channels or the authkey. Full description: docs/signaling.md.
 */

import type { IceServer } from '../webrtc/platform.js';

export type Role = 'master' | 'worker';

// Client -> server
export interface RegisterMessage {
  type: 'register';
  role: Role;
  /** Optional client-chosen id (stable across signaling reconnects); the server makes one if absent. */
  id?: string;
}
export interface SignalOutMessage {
  type: 'signal';
  to: string;
  /** Opaque to the server: an SDP description or ICE candidate. */
  data: unknown;
}
export interface PingMessage {
  type: 'ping';
}
export type ClientMessage = RegisterMessage | SignalOutMessage | PingMessage;

// Server -> client
export interface RegisteredMessage {
  type: 'registered';
  id: string;
  role: Role;
  room: string;
  /** ICE servers the server hands out (may include short-lived TURN credentials). */
  iceServers: IceServer[];
}
/** To a master: a worker in its room wants a peer connection. */
export interface PeerMessage {
  type: 'peer';
  peer: string;
}
/** To a worker: the room's master is present; the worker makes the offer. */
export interface MasterMessage {
  type: 'master';
  peer: string;
}
export interface SignalInMessage {
  type: 'signal';
  from: string;
  data: unknown;
}
export interface PeerLeftMessage {
  type: 'peer-left';
  peer: string;
}
export interface MasterLeftMessage {
  type: 'master-left';
  peer: string;
  /**
   * The master shut down cleanly (its run is over), rather than vanishing
   * (crash, network loss: it may come back). Also sent to a worker that
   * registers shortly after its room's master finished.
   */
  finished?: boolean;
}
export interface PongMessage {
  type: 'pong';
}
export interface ErrorMessage {
  type: 'error';
  code: SignalingErrorCode;
  message: string;
}
export type ServerMessage =
  | RegisteredMessage
  | PeerMessage
  | MasterMessage
  | SignalInMessage
  | PeerLeftMessage
  | MasterLeftMessage
  | PongMessage
  | ErrorMessage;

/** Error codes; the ones in FATAL_ERROR_CODES are followed by the server closing the socket. */
export const SIGNALING_ERROR_CODES = [
  'ADDRESS_IN_USE', // a master already serves this room
  'BAD_ROOM', // the URL path is not a valid room name
  'BAD_MESSAGE', // not JSON, or fields missing / of the wrong type
  'UNKNOWN_TYPE', // a `type` the server does not know
  'TOO_LARGE', // message over the size limit
  'NOT_REGISTERED', // a message other than `register` before registering
  'ALREADY_REGISTERED', // a second `register` on one socket
  'DUPLICATE_ID', // a client-chosen id already used in the room
  'UNKNOWN_PEER', // `signal` to a peer that is not this client's counterpart
  'ROOM_FULL', // the room holds the maximum number of peers
  'TOO_MANY_ROOMS', // the server holds the maximum number of rooms
  'RATE_LIMITED', // too many messages or connections
  'UNAUTHORIZED', // missing or wrong access token, or origin not allowed
  'SHUTTING_DOWN', // the server is stopping
  'UNAVAILABLE', // a cluster node cannot reach the cluster's shared state (Redis); try another node or later
] as const;
export type SignalingErrorCode = (typeof SIGNALING_ERROR_CODES)[number];

export const FATAL_ERROR_CODES: ReadonlySet<SignalingErrorCode> = new Set([
  'ADDRESS_IN_USE',
  'BAD_ROOM',
  'TOO_LARGE',
  'ALREADY_REGISTERED',
  'DUPLICATE_ID',
  'ROOM_FULL',
  'TOO_MANY_ROOMS',
  'UNAUTHORIZED',
  'SHUTTING_DOWN',
  'UNAVAILABLE',
]);

/**
 * WebSocket close code a master uses when it shuts down cleanly, so the
 * server can tell its workers that the run is over (4000-4999 are for
 * applications; browsers allow them in close()).
 */
export const CLOSE_MASTER_FINISHED = 4001;

/** Room names: URL path segments of unreserved characters, 1..128 chars in all. */
export const ROOM_PATTERN = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;
export const MAX_ROOM_LENGTH = 128;
/** Client-chosen ids. */
export const PEER_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** An address or URL as messages may show it: without its query, so an access token (`?token=`) never reaches a log. */
export function withoutQuery(url: string): string {
  return url.split('?')[0] as string;
}

/**
 * Splits a peer address `ws://host:port/room` into the WebSocket URL and the room; throws on a bad address.
 * A comma-separated list (`wss://a/jobs,wss://b/jobs`) names several signaling servers of one cluster for the
 * same room: `urls` has them all, in order, and `url` is the first.
 */
export function parseAddress(address: string): { url: string; room: string; urls: string[] } {
  if (typeof address !== 'string') throw new TypeError(`address must be a string, got ${typeof address}`);
  const parts = address.split(',').map((part) => part.trim());
  if (parts.length > 1 && parts.some((part) => part === '')) {
    throw new TypeError(`address lists are URLs separated by single commas, got ${JSON.stringify(address)}`);
  }
  const parsed = parts.map(parseOneAddress);
  const [first] = parsed as [{ url: string; room: string }];
  const other = parsed.find((one) => one.room !== first.room);
  if (other) {
    throw new TypeError(
      `every address in a list must name the same room, got ${JSON.stringify(first.room)} and ${JSON.stringify(other.room)}`,
    );
  }
  return { url: first.url, room: first.room, urls: parsed.map((one) => one.url) };
}

function parseOneAddress(address: string): { url: string; room: string } {
  let parsed: URL;
  try {
    parsed = new URL(address);
  } catch {
    throw new TypeError(`address must be a URL like ws://host:8080/room, got ${JSON.stringify(address)}`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new TypeError(`address must use ws:// or wss://, got ${JSON.stringify(address)}`);
  }
  const room = decodeURIComponent(parsed.pathname.replace(/^\/+/, '').replace(/\/+$/, ''));
  if (!room || room.length > MAX_ROOM_LENGTH || !ROOM_PATTERN.test(room)) {
    throw new TypeError(
      `address must name a room after the host (letters, digits, . _ ~ - and /, at most ${MAX_ROOM_LENGTH} chars), got ${JSON.stringify(address)}`,
    );
  }
  return { url: parsed.toString(), room };
}
