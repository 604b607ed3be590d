/**
 * MessagePack extension types for the Python values of values.ts, so
 * a value a CPython process put keeps its Python type when a JS peer (Node
 * or browser, over WebRTC) takes it and passes it on: tuples stay tuples,
 * integral floats stay floats, dict keys keep their types and order, sets,
 * frozensets, bytearrays, exceptions, globals and opaque objects arrive as
 * themselves. A JS `Map` and `Set` travel as themselves too (MessagePack has
 * no map with non-string keys, nor sets).
 *
 * Containers carry their items as a nested MessagePack value; `NestedCodec`
 * bounds how deep such nesting may go, since each level is a recursive call.
 */
import {
  DecodeError,
  type ExtensionCodec,
  type ExtensionDecoderType,
  type ExtensionEncoderType,
} from '@msgpack/msgpack';
import {
  PyByteArray,
  type PyDict,
  PyException,
  PyFloat,
  PyFrozenSet,
  PyGlobal,
  PyOpaque,
  type PyOpaqueHow,
  PyTuple,
  type PyValue,
} from './values.js';

/** Extension type numbers (1 is the codec's BigInt). */
export const PY_EXT = {
  TUPLE: 2,
  FLOAT: 3,
  MAP: 4,
  SET: 5,
  FROZENSET: 6,
  BYTEARRAY: 7,
  OPAQUE: 8,
  GLOBAL: 9,
  EXCEPTION: 10,
} as const;

/** What the extensions need from the codec: encoding and decoding of nested values, depth-bounded. */
export interface NestedCodec {
  encodeNested(value: unknown): Uint8Array;
  decodeNested(data: Uint8Array): unknown;
}

const HOWS: ReadonlySet<string> = new Set(['call', 'new', 'new_ex']);

function fail(what: string): never {
  throw new DecodeError(`invalid ${what} extension payload`);
}

function array(value: unknown, what: string): unknown[] {
  return Array.isArray(value) ? value : fail(what);
}

function pairs(flat: unknown[], what: string): Array<[PyValue, PyValue]> {
  if (flat.length % 2 !== 0) fail(what);
  const out: Array<[PyValue, PyValue]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as PyValue, flat[i + 1] as PyValue]);
  return out;
}

function flatten(entries: Iterable<readonly [unknown, unknown]>): unknown[] {
  const out: unknown[] = [];
  for (const [key, value] of entries) out.push(key, value);
  return out;
}

function string(value: unknown, what: string): string {
  return typeof value === 'string' ? value : fail(what);
}

/** One extension per Python type, in the shape `ExtensionCodec.register` takes. */
interface PythonExtension {
  type: number;
  encode: ExtensionEncoderType<NestedCodec>;
  decode: ExtensionDecoderType<NestedCodec>;
}

const PYTHON_EXTENSIONS: readonly PythonExtension[] = [
  {
    type: PY_EXT.TUPLE,
    encode: (value, c) => (value instanceof PyTuple ? c.encodeNested(value.items) : null),
    decode: (data, _type, c) => new PyTuple(array(c.decodeNested(data), 'tuple') as PyValue[]),
  },
  {
    type: PY_EXT.FLOAT,
    encode: (value) => {
      if (!(value instanceof PyFloat)) return null;
      const out = new Uint8Array(8);
      new DataView(out.buffer).setFloat64(0, value.value, false);
      return out;
    },
    decode: (data) => {
      if (data.length !== 8) fail('float');
      return new PyFloat(new DataView(data.buffer, data.byteOffset, 8).getFloat64(0, false));
    },
  },
  {
    type: PY_EXT.MAP,
    encode: (value, c) => (value instanceof Map ? c.encodeNested(flatten(value)) : null),
    decode: (data, _type, c) => new Map(pairs(array(c.decodeNested(data), 'map'), 'map')),
  },
  {
    type: PY_EXT.SET,
    encode: (value, c) => (value instanceof Set ? c.encodeNested([...value]) : null),
    decode: (data, _type, c) => new Set(array(c.decodeNested(data), 'set')),
  },
  {
    type: PY_EXT.FROZENSET,
    encode: (value, c) => (value instanceof PyFrozenSet ? c.encodeNested(value.items) : null),
    decode: (data, _type, c) => new PyFrozenSet(array(c.decodeNested(data), 'frozenset') as PyValue[]),
  },
  {
    type: PY_EXT.BYTEARRAY,
    encode: (value) =>
      value instanceof PyByteArray ? new Uint8Array(value.buffer, value.byteOffset, value.length) : null,
    decode: (data) => {
      const out = new PyByteArray(data.length);
      out.set(data);
      return out;
    },
  },
  {
    type: PY_EXT.GLOBAL,
    encode: (value, c) => (value instanceof PyGlobal ? c.encodeNested([value.module, value.name]) : null),
    decode: (data, _type, c) => {
      const [module, name] = array(c.decodeNested(data), 'global');
      return new PyGlobal(string(module, 'global'), string(name, 'global'));
    },
  },
  {
    type: PY_EXT.EXCEPTION,
    encode: (value, c) =>
      value instanceof PyException ? c.encodeNested([value.module, value.name, value.args.items, value.state]) : null,
    decode: (data, _type, c) => {
      const [module, name, args, state] = array(c.decodeNested(data), 'exception');
      if (state !== null && !(state instanceof Map)) fail('exception');
      return new PyException(
        string(module, 'exception'),
        string(name, 'exception'),
        array(args, 'exception') as PyValue[],
        state as PyDict | null,
      );
    },
  },
  {
    type: PY_EXT.OPAQUE,
    encode: (value, c) =>
      value instanceof PyOpaque
        ? c.encodeNested([
            value.module,
            value.name,
            value.how,
            value.args.items,
            value.kwargs,
            value.state !== undefined,
            value.state ?? null,
            value.listItems,
            flatten(value.dictItems),
          ])
        : null,
    decode: (data, _type, c) => {
      const fields = array(c.decodeNested(data), 'opaque');
      const [module, name, how, args, kwargs, hasState, state, listItems, dictItems] = fields;
      if (fields.length !== 9 || typeof how !== 'string' || !HOWS.has(how) || typeof hasState !== 'boolean') {
        fail('opaque');
      }
      if (kwargs !== null && !(kwargs instanceof Map)) fail('opaque');
      return new PyOpaque(
        string(module, 'opaque'),
        string(name, 'opaque'),
        how as PyOpaqueHow,
        array(args, 'opaque') as PyValue[],
        {
          kwargs: kwargs as PyDict | null,
          state: hasState ? (state as PyValue) : undefined,
          listItems: array(listItems, 'opaque') as PyValue[],
          dictItems: pairs(array(dictItems, 'opaque'), 'opaque'),
        },
      );
    },
  },
];

/** Adds the Python extensions to `codec`; `context` of every Encoder/Decoder using it must be a `NestedCodec`. */
export function registerPythonExtensions(codec: ExtensionCodec<NestedCodec>): void {
  for (const extension of PYTHON_EXTENSIONS) codec.register(extension);
}
