/**
 * Messages on an authenticated link, each a MessagePack array whose first
 * element is its kind. Many calls can be outstanding at once (ids pair
 * replies with calls), so a blocking `get()` never holds up other calls.
 */
import { ProtocolError } from '../errors.js';

export enum Kind {
  /** [CALL, id, objectId, method, args] */
  Call = 0,
  /** [CREATE, id, typeid, args] -> PROXY_RESULT */
  Create = 1,
  /** [RESULT, id, value] */
  Result = 2,
  /** [ERROR, id, name, message, code?]: code is the error's stable code (absent for errors without one, and from older peers). */
  Error = 3,
  /** [RELEASE, objectId] */
  Release = 4,
  /** [BYE, reason]: the sender is shutting down. */
  Bye = 5,
  /** [PING]: keeps the link alive and proves it is. */
  Ping = 6,
  /** [PROXY_RESULT, id, objectId, exposed, features]: the result is a new served object (CREATE, methodToTypeid). */
  ProxyResult = 7,
  /** [HELLO, agent]: sent once after authentication; names the peer's software (e.g. "browser", "node-datachannel"). */
  Hello = 8,
  /**
   * [CAST, objectId, method, args]: a call without a reply (batched results);
   * only a failure is reported, as ERROR with id 0.
   */
  Cast = 9,
}

/** The id of ERROR messages that report a failed CAST. */
export const CAST_ERROR_ID = 0;

export type Message =
  | [Kind.Call, number, number, string, unknown[]]
  | [Kind.Create, number, string, unknown[]]
  | [Kind.Result, number, unknown]
  | [Kind.Error, number, string, string]
  | [Kind.Error, number, string, string, string]
  | [Kind.Release, number]
  | [Kind.Bye, string]
  | [Kind.Ping]
  | [Kind.ProxyResult, number, number, string[], Record<string, unknown>]
  | [Kind.Hello, string]
  | [Kind.Cast, number, string, unknown[]];

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isString = (v: unknown): v is string => typeof v === 'string' && v.length <= 256;

/** Checks a decoded value from the network; throws ProtocolError naming what was wrong. */
export function parseMessage(value: unknown): Message {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ProtocolError('message is not a non-empty array');
  }
  const m = value;
  switch (m[0]) {
    case Kind.Call:
      if (m.length === 5 && isId(m[1]) && isId(m[2]) && isString(m[3]) && Array.isArray(m[4])) return m as Message;
      break;
    case Kind.Create:
      if (m.length === 4 && isId(m[1]) && isString(m[2]) && Array.isArray(m[3])) return m as Message;
      break;
    case Kind.Result:
      if (m.length === 3 && isId(m[1])) return m as Message;
      break;
    case Kind.Error:
      if (
        (m.length === 4 || (m.length === 5 && isString(m[4]))) &&
        isId(m[1]) &&
        isString(m[2]) &&
        typeof m[3] === 'string'
      ) {
        return m as Message;
      }
      break;
    case Kind.Release:
      if (m.length === 2 && isId(m[1])) return m as Message;
      break;
    case Kind.Bye:
      if (m.length === 2 && typeof m[1] === 'string') return m as Message;
      break;
    case Kind.Ping:
      if (m.length === 1) return m as Message;
      break;
    case Kind.ProxyResult:
      if (
        m.length === 5 &&
        isId(m[1]) &&
        isId(m[2]) &&
        Array.isArray(m[3]) &&
        m[3].every(isString) &&
        typeof m[4] === 'object' &&
        m[4] !== null &&
        !Array.isArray(m[4])
      ) {
        return m as Message;
      }
      break;
    case Kind.Cast:
      if (m.length === 4 && isId(m[1]) && isString(m[2]) && Array.isArray(m[3])) return m as Message;
      break;
    case Kind.Hello:
      if (m.length === 2 && isString(m[1])) return m as Message;
      break;
    default:
      throw new ProtocolError(`unknown message kind ${JSON.stringify(m[0])}`);
  }
  throw new ProtocolError(`malformed message of kind ${m[0]} (${m.length} elements)`);
}
