/**
 * Pickle encoder writing protocol 4 the way CPython's C pickler does for the
 * same values (same opcodes, memoization and batching), so a Python peer
 * reads exactly what it would have received from another Python process.
 * `PyOpaque` values are written back with the opcodes and arguments they
 * came with. Refuses anything without a Python form with `PickleEncodeError`,
 * and opaque globals the policy does not allow (whoever made them: a JS
 * peer can build a `PyOpaque` too) with `PickleForbiddenError`.
 */
import { PickleEncodeError, PickleForbiddenError, PickleLimitError } from './errors.js';
import { isAllowedException } from './globals.js';
import { encodeLong } from './ints.js';
import { DEFAULT_MAX_DEPTH, ENCODE_BATCH_SIZE, WRITE_PROTOCOL } from './limits.js';
import { Op } from './opcodes.js';
import { DEFAULT_GLOBAL_POLICY, type GlobalPolicy } from './policy.js';
import { encodeUtf8 } from './utf8.js';
import { PyByteArray, PyException, PyFloat, PyFrozenSet, PyGlobal, PyOpaque, PyToken, PyTuple } from './values.js';
import { ByteWriter } from './writer.js';

export interface PickleOptions {
  /** Deepest container nesting written (default 1,000, what CPython itself can pickle). */
  maxDepth?: number;
  /** Which opaque globals may be written (default: `DEFAULT_GLOBAL_POLICY`, as for decoding). */
  globals?: GlobalPolicy;
}

/** Python's `pickle.dumps(value, protocol=4)`, for the values listed in values.ts. */
export function pickle(value: unknown, options: PickleOptions = {}): Uint8Array {
  return new Pickler(options.maxDepth ?? DEFAULT_MAX_DEPTH, options.globals ?? DEFAULT_GLOBAL_POLICY).dump(value);
}

/** CPython only frames pickles whose body has at least this many bytes. */
const FRAME_SIZE_MIN = 4;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

class Pickler {
  readonly #out = new ByteWriter();
  /** Memo index of each object (by identity) and str (by value) already written. */
  readonly #memo = new Map<unknown, number>();
  readonly #globals = new Map<string, number>();
  readonly #maxDepth: number;
  readonly #policy: GlobalPolicy;
  #depth = 0;
  /** Index the next MEMOIZE gets (the decoder numbers them in order). */
  #nextMemo = 0;

  constructor(maxDepth: number, policy: GlobalPolicy) {
    this.#maxDepth = maxDepth;
    this.#policy = policy;
  }

  dump(value: unknown): Uint8Array {
    this.#save(value);
    this.#out.u8(Op.STOP);
    const body = this.#out.length;
    const prefix = new Uint8Array(body >= FRAME_SIZE_MIN ? 11 : 2);
    prefix[0] = Op.PROTO;
    prefix[1] = WRITE_PROTOCOL;
    if (body >= FRAME_SIZE_MIN) {
      prefix[2] = Op.FRAME;
      const view = new DataView(prefix.buffer);
      view.setUint32(3, body % 0x100000000, true);
      view.setUint32(7, Math.floor(body / 0x100000000), true);
    }
    return this.#out.finish(prefix);
  }

  #save(value: unknown): void {
    if (value === null || value === undefined) this.#out.u8(Op.NONE);
    else if (typeof value === 'boolean') this.#out.u8(value ? Op.NEWTRUE : Op.NEWFALSE);
    else if (typeof value === 'number') {
      // Safe integers are Python ints; everything else (fractions, -0, NaN, huge) is a float.
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) this.#saveInt(value);
      else this.#saveFloat(value);
    } else if (typeof value === 'bigint') {
      if (value >= INT32_MIN && value <= INT32_MAX) this.#saveInt(Number(value));
      else this.#saveLong(value);
    } else if (typeof value === 'string') this.#saveStr(value);
    else if (typeof value === 'object') this.#saveObject(value);
    else throw new PickleEncodeError(`cannot pickle a ${typeof value}`);
  }

  #saveObject(value: object): void {
    const index = this.#memo.get(value);
    if (index !== undefined) this.#get(index);
    else if (value instanceof PyByteArray) this.#saveByteArray(value);
    else if (value instanceof Uint8Array) this.#saveBytes(value);
    else if (value instanceof PyFloat) this.#saveFloat(value.value);
    else if (value instanceof PyGlobal) this.#savePyGlobal(value);
    else {
      if (++this.#depth > this.#maxDepth) {
        throw new PickleLimitError(`value nests deeper than ${this.#maxDepth} levels`);
      }
      try {
        this.#saveContainer(value);
      } finally {
        this.#depth--;
      }
    }
  }

  #saveContainer(value: object): void {
    if (value instanceof PyTuple) this.#saveTuple(value);
    else if (Array.isArray(value)) this.#saveList(value);
    else if (value instanceof Map) this.#saveDict(value);
    else if (value instanceof Set) this.#saveSet(value);
    else if (value instanceof PyFrozenSet) this.#saveFrozenSet(value);
    else if (value instanceof PyException) this.#saveException(value);
    else if (value instanceof PyToken) this.#saveToken(value);
    else if (value instanceof PyOpaque) this.#saveOpaque(value);
    else {
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new PickleEncodeError(`cannot pickle a ${proto?.constructor?.name ?? 'object'} (no Python form)`);
      }
      this.#saveDict(new Map(Object.entries(value)), value);
    }
  }

  #saveInt(value: number): void {
    if (value >= 0 && value <= 0xff) {
      this.#out.u8(Op.BININT1);
      this.#out.u8(value);
    } else if (value >= 0 && value <= 0xffff) {
      this.#out.u8(Op.BININT2);
      this.#out.u16le(value);
    } else if (value >= INT32_MIN && value <= INT32_MAX) {
      this.#out.u8(Op.BININT);
      this.#out.i32le(value);
    } else {
      this.#saveLong(BigInt(value));
    }
  }

  #saveLong(value: bigint): void {
    const data = encodeLong(value);
    if (data.length < 256) {
      this.#out.u8(Op.LONG1);
      this.#out.u8(data.length);
    } else {
      this.#out.u8(Op.LONG4);
      this.#out.i32le(data.length);
    }
    this.#out.bytes(data);
  }

  #saveFloat(value: number): void {
    this.#out.u8(Op.BINFLOAT);
    this.#out.f64be(value);
  }

  #saveStr(value: string): void {
    const index = this.#memo.get(value);
    if (index !== undefined) {
      this.#get(index);
      return;
    }
    const data = encodeUtf8(value);
    this.#sized(data.length, Op.SHORT_BINUNICODE, Op.BINUNICODE, Op.BINUNICODE8);
    this.#out.bytes(data);
    this.#memoize(value);
  }

  #saveBytes(value: Uint8Array): void {
    this.#sized(value.length, Op.SHORT_BINBYTES, Op.BINBYTES, Op.BINBYTES8);
    this.#out.bytes(value);
    this.#memoize(value);
  }

  /** As CPython's `bytearray.__reduce_ex__(4)`: `bytearray(b'...')`. */
  #saveByteArray(value: PyByteArray): void {
    this.#saveGlobal('builtins', 'bytearray');
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    this.#saveTuple(new PyTuple(value.length === 0 ? [] : [bytes]));
    this.#out.u8(Op.REDUCE);
    this.#memoize(value);
  }

  #savePyGlobal(value: PyGlobal): void {
    if (!this.#policy.mayInstantiate(value.module, value.name)) {
      throw new PickleForbiddenError(
        `refused to write global ${value.qualname}: ${this.#policy.hint(value.module, value.name)}`,
      );
    }
    // Memoized by name (as CPython memoizes a class), so the same global is written once.
    this.#saveGlobal(value.module, value.name);
  }

  /** What `save_reduce` writes: the global, its arguments, the call or NEWOBJ, then items and state. */
  #saveOpaque(value: PyOpaque): void {
    const allowed =
      value.how === 'call'
        ? this.#policy.mayCall(value.module, value.name)
        : this.#policy.mayInstantiate(value.module, value.name);
    if (!allowed) {
      throw new PickleForbiddenError(
        `refused to write ${value.how === 'call' ? 'a call of' : 'an instance of'} ${value.qualname}: ${this.#policy.hint(value.module, value.name)}`,
      );
    }
    this.#saveGlobal(value.module, value.name);
    this.#save(value.args);
    if (value.how === 'new_ex') this.#save(value.kwargs ?? new Map());
    this.#out.u8(value.how === 'call' ? Op.REDUCE : value.how === 'new' ? Op.NEWOBJ : Op.NEWOBJ_EX);
    this.#memoize(value);
    if (value.listItems.length > 0) this.#appends(value.listItems);
    if (value.dictItems.length > 0) this.#setItems(value.dictItems);
    if (value.state !== undefined) {
      this.#save(value.state);
      this.#out.u8(Op.BUILD);
    }
  }

  /** Writes the opcode for a length-prefixed value: 1-, 4- or 8-byte length. */
  #sized(length: number, short: number, medium: number, long: number): void {
    if (length < 256) {
      this.#out.u8(short);
      this.#out.u8(length);
    } else if (length <= UINT32_MAX) {
      this.#out.u8(medium);
      this.#out.u32le(length);
    } else {
      this.#out.u8(long);
      this.#out.u64le(length);
    }
  }

  #saveTuple(value: PyTuple): void {
    const n = value.length;
    if (n === 0) {
      this.#out.u8(Op.EMPTY_TUPLE);
      return;
    }
    if (n > 3) {
      this.#saveMarked(value, value.items, Op.TUPLE);
      return;
    }
    for (const item of value.items) this.#save(item);
    // A tuple reached again through its own items was memoized meanwhile: drop the copy, refer to it.
    const index = this.#memo.get(value);
    if (index !== undefined) {
      for (let i = 0; i < n; i++) this.#out.u8(Op.POP);
      this.#get(index);
      return;
    }
    this.#out.u8(Op.TUPLE1 + n - 1);
    this.#memoize(value);
  }

  /**
   * An immutable container built from a MARKed run of items (a long tuple, a
   * frozenset): like pickle.py, when the items reached the container itself
   * it was memoized meanwhile, so the run is dropped and the memo referred to.
   */
  #saveMarked(value: object, items: readonly unknown[], build: number): void {
    this.#out.u8(Op.MARK);
    for (const item of items) this.#save(item);
    const index = this.#memo.get(value);
    if (index !== undefined) {
      this.#out.u8(Op.POP_MARK);
      this.#get(index);
      return;
    }
    this.#out.u8(build);
    this.#memoize(value);
  }

  #saveList(value: readonly unknown[]): void {
    this.#out.u8(Op.EMPTY_LIST);
    this.#memoize(value);
    this.#appends(value);
  }

  /** APPEND / APPENDS in CPython's batches, onto the object on top of the stack. */
  #appends(value: readonly unknown[]): void {
    for (let start = 0; start < value.length; start += ENCODE_BATCH_SIZE) {
      const end = Math.min(start + ENCODE_BATCH_SIZE, value.length);
      if (end - start === 1) {
        this.#save(value[start]);
        this.#out.u8(Op.APPEND);
      } else {
        this.#out.u8(Op.MARK);
        for (let i = start; i < end; i++) this.#save(value[i]);
        this.#out.u8(Op.APPENDS);
      }
    }
  }

  /** `identity` is the object memoized for the dict (the plain object it came from, if any). */
  #saveDict(value: Map<unknown, unknown>, identity: object = value): void {
    this.#out.u8(Op.EMPTY_DICT);
    this.#memoize(identity);
    this.#setItems([...value]);
  }

  /** SETITEM / SETITEMS in CPython's batches, onto the object on top of the stack. */
  #setItems(entries: ReadonlyArray<readonly [unknown, unknown]>): void {
    for (let start = 0; start < entries.length; start += ENCODE_BATCH_SIZE) {
      const end = Math.min(start + ENCODE_BATCH_SIZE, entries.length);
      if (end - start === 1) {
        const [key, item] = entries[start] as [unknown, unknown];
        this.#save(key);
        this.#save(item);
        this.#out.u8(Op.SETITEM);
      } else {
        this.#out.u8(Op.MARK);
        for (let i = start; i < end; i++) {
          const [key, item] = entries[i] as [unknown, unknown];
          this.#save(key);
          this.#save(item);
        }
        this.#out.u8(Op.SETITEMS);
      }
    }
  }

  #saveSet(value: Set<unknown>): void {
    this.#out.u8(Op.EMPTY_SET);
    this.#memoize(value);
    const items = [...value];
    for (let start = 0; start < items.length; start += ENCODE_BATCH_SIZE) {
      this.#out.u8(Op.MARK);
      for (let i = start; i < Math.min(start + ENCODE_BATCH_SIZE, items.length); i++) this.#save(items[i]);
      this.#out.u8(Op.ADDITEMS);
    }
  }

  #saveFrozenSet(value: PyFrozenSet): void {
    this.#saveMarked(value, value.items, Op.FROZENSET);
  }

  #saveException(value: PyException): void {
    if (!isAllowedException(value.module, value.name)) {
      throw new PickleEncodeError(`cannot pickle exception ${value.module}.${value.name}: not an allowed class`);
    }
    this.#saveGlobal(value.module, value.name);
    this.#save(value.args);
    this.#out.u8(Op.REDUCE);
    this.#memoize(value);
    if (value.state && value.state.size > 0) {
      this.#save(value.state);
      this.#out.u8(Op.BUILD);
    }
  }

  #saveToken(value: PyToken): void {
    this.#saveGlobal('multiprocessing.managers', 'Token');
    this.#out.u8(Op.EMPTY_TUPLE);
    this.#out.u8(Op.NEWOBJ);
    this.#memoize(value);
    this.#save(new PyTuple([value.typeid, value.address, value.id]));
    this.#out.u8(Op.BUILD);
  }

  #saveGlobal(module: string, name: string): void {
    const key = `${module}\n${name}`;
    const index = this.#globals.get(key);
    if (index !== undefined) {
      this.#get(index);
      return;
    }
    this.#saveStr(module);
    this.#saveStr(name);
    this.#out.u8(Op.STACK_GLOBAL);
    this.#globals.set(key, this.#nextMemo++);
    this.#out.u8(Op.MEMOIZE);
  }

  #memoize(key: unknown): void {
    this.#memo.set(key, this.#nextMemo++);
    this.#out.u8(Op.MEMOIZE);
  }

  #get(index: number): void {
    if (index < 256) {
      this.#out.u8(Op.BINGET);
      this.#out.u8(index);
    } else {
      this.#out.u8(Op.LONG_BINGET);
      this.#out.u32le(index);
    }
  }
}
