/**
 * The managers request and reply shapes (multiprocessing/managers.py
 * `dispatch` and `Server.serve_client`), pickled:
 *
 * - request: `(ident, methodname, args, kwds)`; ident is None for server-level calls;
 * - reply: `('#RETURN', value)`, `('#ERROR', exception)`, `('#TRACEBACK', text)`,
 *   `('#PROXY', (exposed, token))` or `('#UNSERIALIZABLE', text)`.
 */
import { ProtocolError } from '../../../shared/errors.js';
import { type PickleOptions, pickle, type UnpickleOptions, unpickle } from '../pickle/index.js';
import { PyToken, PyTuple, type PyValue, tuple } from '../pickle/values.js';

export interface Request {
  /** The served object's id (a hex string), or null for server-level calls. */
  ident: string | null;
  method: string;
  args: PyValue[];
  kwds: Map<string, PyValue>;
}

export type Reply =
  | { kind: '#RETURN'; value: PyValue }
  | { kind: '#ERROR'; error: PyValue }
  | { kind: '#TRACEBACK'; text: string }
  | { kind: '#PROXY'; exposed: string[]; token: PyToken }
  | { kind: '#UNSERIALIZABLE'; text: string };

export type ReplyKind = Reply['kind'];

export interface RequestInput {
  ident: string | null;
  method: string;
  args?: readonly unknown[];
  kwds?: Map<string, unknown> | Record<string, unknown>;
}

export function encodeRequest(request: RequestInput, options?: PickleOptions): Uint8Array {
  const kwds = request.kwds instanceof Map ? request.kwds : new Map(Object.entries(request.kwds ?? {}));
  return pickle(
    tuple(request.ident, request.method, new PyTuple((request.args ?? []) as PyValue[]), kwds as Map<PyValue, PyValue>),
    options,
  );
}

/** Decodes and checks a request; throws `PickleError` for a refused pickle, `ProtocolError` for a bad shape. */
export function decodeRequest(payload: Uint8Array, options?: UnpickleOptions): Request {
  const value = unpickle(payload, options);
  const items = value instanceof PyTuple ? value.items : undefined;
  if (items?.length !== 4) throw new ProtocolError('a request must be a 4-tuple (ident, methodname, args, kwds)');
  const [ident, method, args, kwds] = items;
  if (ident !== null && typeof ident !== 'string') throw new ProtocolError('request ident must be a str or None');
  if (typeof method !== 'string') throw new ProtocolError('request methodname must be a str');
  // CPython proxies send a tuple; a list is what `func(*args)` would accept too.
  const argList = args instanceof PyTuple ? [...args.items] : Array.isArray(args) ? args : undefined;
  if (!argList) throw new ProtocolError('request args must be a tuple');
  if (!(kwds instanceof Map) || ![...kwds.keys()].every((k) => typeof k === 'string')) {
    throw new ProtocolError('request kwds must be a dict with str keys');
  }
  return { ident: ident as string | null, method, args: argList, kwds: kwds as Map<string, PyValue> };
}

export function encodeReply(reply: Reply, options?: PickleOptions): Uint8Array {
  switch (reply.kind) {
    case '#RETURN':
      return pickle(tuple(reply.kind, reply.value), options);
    case '#ERROR':
      return pickle(tuple(reply.kind, reply.error), options);
    case '#PROXY':
      return pickle(tuple(reply.kind, tuple(new PyTuple(reply.exposed), reply.token)), options);
    case '#TRACEBACK':
    case '#UNSERIALIZABLE':
      return pickle(tuple(reply.kind, reply.text), options);
  }
}

/** Decodes and checks a reply; throws `PickleError` for a refused pickle, `ProtocolError` for a bad shape. */
export function decodeReply(payload: Uint8Array, options?: UnpickleOptions): Reply {
  const value = unpickle(payload, options);
  const items = value instanceof PyTuple ? value.items : undefined;
  if (items?.length !== 2 || typeof items[0] !== 'string') {
    throw new ProtocolError('a reply must be a 2-tuple (kind, result)');
  }
  const [kind, result] = items as [string, PyValue];
  switch (kind) {
    case '#RETURN':
      return { kind, value: result };
    case '#ERROR':
      return { kind, error: result };
    case '#TRACEBACK':
    case '#UNSERIALIZABLE':
      if (typeof result !== 'string') throw new ProtocolError(`${kind} reply must carry a str`);
      return { kind, text: result };
    case '#PROXY': {
      const [exposed, token] = result instanceof PyTuple ? result.items : [];
      const names = exposed instanceof PyTuple ? exposed.items : Array.isArray(exposed) ? exposed : undefined;
      if (!names?.every((n) => typeof n === 'string') || !(token instanceof PyToken)) {
        throw new ProtocolError('#PROXY reply must carry (exposed, Token)');
      }
      return { kind, exposed: names as string[], token };
    }
    default:
      throw new ProtocolError(`unknown reply kind ${JSON.stringify(kind)}`);
  }
}
