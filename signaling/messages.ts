/**
 * Defensive parsing of client frames. Anything a client sends ends up either
 * as a well-typed `ClientMessage` or as an error code with a short reason;
 * nothing here throws.
 */
import {
  type ClientMessage,
  PEER_ID_PATTERN,
  type Role,
  type SignalingErrorCode,
} from '../shared/signaling/protocol.js';

export type ParseResult =
  | { readonly ok: true; readonly message: ClientMessage }
  | { readonly ok: false; readonly code: SignalingErrorCode; readonly reason: string };

/** Client-supplied strings echoed in error reasons are cut to this length. */
const ECHO_MAX_CHARS = 32;

const ROLES: ReadonlySet<unknown> = new Set<Role>(['master', 'worker']);

function bad(code: SignalingErrorCode, reason: string): ParseResult {
  return { ok: false, code, reason };
}

function echo(value: string): string {
  return JSON.stringify(value.length > ECHO_MAX_CHARS ? `${value.slice(0, ECHO_MAX_CHARS)}...` : value);
}

export function parseClientMessage(data: Buffer, isBinary: boolean): ParseResult {
  if (isBinary) return bad('BAD_MESSAGE', 'binary frames are not accepted; send JSON text');
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return bad('BAD_MESSAGE', 'message is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('BAD_MESSAGE', 'message must be a JSON object');
  }
  const fields = value as Record<string, unknown>;
  const type = Object.hasOwn(fields, 'type') ? fields.type : undefined;
  if (typeof type !== 'string') return bad('BAD_MESSAGE', '`type` must be a string');
  switch (type) {
    case 'register':
      return parseRegister(fields);
    case 'signal':
      return parseSignal(fields);
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
    default:
      return bad('UNKNOWN_TYPE', `unknown message type ${echo(type)}`);
  }
}

function parseRegister(fields: Record<string, unknown>): ParseResult {
  const role = fields.role;
  if (!ROLES.has(role)) return bad('BAD_MESSAGE', '`role` must be "master" or "worker"');
  const id = Object.hasOwn(fields, 'id') ? fields.id : undefined;
  if (id === undefined) return { ok: true, message: { type: 'register', role: role as Role } };
  if (typeof id !== 'string' || !PEER_ID_PATTERN.test(id)) {
    return bad('BAD_MESSAGE', '`id` must be 8 to 64 letters, digits, _ or -');
  }
  return { ok: true, message: { type: 'register', role: role as Role, id } };
}

function parseSignal(fields: Record<string, unknown>): ParseResult {
  const to = fields.to;
  if (typeof to !== 'string') return bad('BAD_MESSAGE', '`to` must be a peer id string');
  if (!Object.hasOwn(fields, 'data')) return bad('BAD_MESSAGE', '`data` is missing');
  return { ok: true, message: { type: 'signal', to, data: fields.data } };
}

/** Peer ids as echoed in error reasons. */
export function echoPeerId(id: string): string {
  return echo(id);
}
