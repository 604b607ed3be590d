/**
 * The checks a new WebSocket connection must pass before it may register, in
 * this order so that unauthorised clients learn nothing about rooms: the
 * per-address limits, the origin, the access token, then the room.
 */
import type { IncomingMessage } from 'node:http';
import { MAX_ROOM_LENGTH, type SignalingErrorCode } from '../shared/signaling/protocol.js';
import type { SignalingOptions } from './config.js';
import type { IpVerdict } from './rate-limit.js';
import { hasAccessToken, originAllowed } from './upgrade-request.js';

/** What a new connection is checked on. */
export interface Applicant {
  readonly req: IncomingMessage;
  /** The parsed request target (see `parseRequestTarget`). */
  readonly target: URL | undefined;
  /** The room named by the URL path; undefined if invalid. */
  readonly room: string | undefined;
  /** What `IpLimiter.acquire` said about the client's address. */
  readonly verdict: IpVerdict;
}

/** The error a refused connection is sent; `close` overrides whether its code closes the socket. */
export interface Refusal {
  readonly code: SignalingErrorCode;
  readonly reason: string;
  readonly close?: boolean;
}

/** The first check `applicant` fails, or undefined when it may register. */
export function refusalOf(applicant: Applicant, options: SignalingOptions): Refusal | undefined {
  const { req, target, room, verdict } = applicant;
  if (verdict !== 'ok') return { code: 'RATE_LIMITED', reason: rateLimitReason(verdict, options), close: true };
  if (!originAllowed(req, options.allowedOrigins)) return { code: 'UNAUTHORIZED', reason: 'origin not allowed' };
  if (options.accessToken !== undefined && !hasAccessToken(req, target, options.accessToken)) {
    return { code: 'UNAUTHORIZED', reason: 'missing or wrong access token' };
  }
  if (room === undefined) {
    return {
      code: 'BAD_ROOM',
      reason: `the URL path must name a room: letters, digits, . _ ~ - and /, at most ${MAX_ROOM_LENGTH} chars`,
    };
  }
  return undefined;
}

function rateLimitReason(verdict: Exclude<IpVerdict, 'ok'>, options: SignalingOptions): string {
  return verdict === 'too-many'
    ? `over ${options.maxConnectionsPerIp} open connections from one address`
    : `over ${options.ipConnectionsPerSecond} new connections per second from one address`;
}
