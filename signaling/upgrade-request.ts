/**
 * What the server reads from the HTTP upgrade request of a WebSocket: the
 * client address, the room (URL path), the access token and the origin. The
 * token never reaches a log: `redactUrl` hides it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { MAX_ROOM_LENGTH, ROOM_PATTERN } from '../shared/signaling/protocol.js';

/** Query parameter carrying the access token (browsers cannot set headers on a WebSocket). */
export const TOKEN_QUERY_PARAM = 'token';
/** Logged URLs are cut to this length: the path is client-chosen. */
const LOGGED_URL_MAX_CHARS = 200;

/** Base for parsing request targets; only the path and query are used. */
const PLACEHOLDER_ORIGIN = 'http://signaling.invalid';

/** Parses the request target (`/room?token=...`); undefined for anything but an origin-form path. */
export function parseRequestTarget(target: string | undefined): URL | undefined {
  if (!target?.startsWith('/')) return undefined;
  try {
    // Concatenating (rather than `new URL(target, base)`) keeps `//x/y` a path, not a host.
    return new URL(PLACEHOLDER_ORIGIN + target);
  } catch {
    return undefined;
  }
}

/** The room named by the path, decoded as `parseAddress` does; undefined if invalid. */
export function roomFromUrl(url: URL | undefined): string | undefined {
  if (!url) return undefined;
  let room: string;
  try {
    room = decodeURIComponent(url.pathname.replace(/^\/+/, '').replace(/\/+$/, ''));
  } catch {
    return undefined;
  }
  return room.length > 0 && room.length <= MAX_ROOM_LENGTH && ROOM_PATTERN.test(room) ? room : undefined;
}

/**
 * The client address. Behind a reverse proxy (`trustProxy`), the last
 * X-Forwarded-For entry is the one our proxy appended; earlier entries are
 * whatever the client claimed and are ignored.
 */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  const direct = normalizeIp(req.socket.remoteAddress ?? 'unknown');
  if (!trustProxy) return direct;
  const header = req.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header;
  const last = value
    ?.split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .pop();
  return last !== undefined && isIP(last) ? normalizeIp(last) : direct;
}

/** `::ffff:1.2.3.4` and `1.2.3.4` are the same client. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** IPv6 prefix length that per-address limits apply to: one subscriber usually holds a whole /64. */
const IPV6_LIMIT_PREFIX_GROUPS = 4;

/**
 * The key per-address limits count under: the address itself for IPv4, its
 * /64 for IPv6 (otherwise one host could rotate through 2^64 addresses).
 */
export function limitKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail] = ip.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? headGroups
      : [
          ...headGroups,
          ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'),
          ...tailGroups,
        ];
  const prefix = groups.slice(0, IPV6_LIMIT_PREFIX_GROUPS).map((group) => Number.parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}

/** True when the request carries `expected` as `?token=` or `Authorization: Bearer`. */
export function hasAccessToken(req: IncomingMessage, url: URL | undefined, expected: string): boolean {
  const fromQuery = url?.searchParams.get(TOKEN_QUERY_PARAM) ?? undefined;
  const auth = req.headers.authorization;
  const fromHeader = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
  return [fromQuery, fromHeader].some((token) => token !== undefined && sameSecret(token, expected));
}

/** Constant-time comparison (hashing first makes lengths equal and hides the expected length). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Browsers always send Origin; other clients can claim any origin anyway, so a
 * missing header is allowed: the check stops other web sites, not other programs.
 */
export function originAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  if (allowedOrigins.length === 0) return true;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return allowedOrigins.includes(origin.toLowerCase());
}

/** Query parameters whose values are never logged (the token, and anything a client may have misnamed). */
const SECRET_PARAM = /token|secret|auth|key|pass/i;

/** The request target as it may be logged: secret-looking query values replaced, length capped. */
export function redactUrl(target: string | undefined): string {
  const raw = target ?? '';
  const queryStart = raw.indexOf('?');
  let text = raw;
  if (queryStart >= 0) {
    // Parsed, not pattern-matched, so `%74oken=` is caught as well.
    const params = new URLSearchParams(raw.slice(queryStart + 1));
    const redacted = [...params].map(([name, value]): [string, string] => [
      name,
      SECRET_PARAM.test(name) ? 'REDACTED' : value,
    ]);
    text = `${raw.slice(0, queryStart)}?${new URLSearchParams(redacted).toString()}`;
  }
  return text.length > LOGGED_URL_MAX_CHARS ? `${text.slice(0, LOGGED_URL_MAX_CHARS)}...` : text;
}
