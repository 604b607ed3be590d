/**
 * Pickle decoder (protocols 2 to 5) that never executes anything: it is a
 * stack machine over the opcodes that build plain data. Globals are only
 * names: the few in globals.ts become plain data, the others (if the
 * GlobalPolicy allows them) become `PyOpaque` objects recording what the
 * pickle did with them, so they can be written back unchanged. Every length
 * is checked against the bytes that remain before anything is read or
 * allocated, and the limits in limits.ts bound memory whatever the input.
 */
import { checkDepth } from './depth.js';
import { PickleDecodeError, PickleForbiddenError, PickleLimitError, PickleOpcodeError } from './errors.js';
import { GlobalRef, resolveGlobal } from './globals.js';
import { decodeLong } from './ints.js';
import {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_INPUT_BYTES,
  DEFAULT_MAX_INT_BYTES,
  DEFAULT_MAX_MEMO_ENTRIES,
  DEFAULT_MAX_VALUES,
  type DecodeLimits,
  HIGHEST_PROTOCOL,
  MAX_GLOBAL_NAME_BYTES,
} from './limits.js';
import { describeOpcode, Op } from './opcodes.js';
import { DEFAULT_GLOBAL_POLICY, type GlobalPolicy } from './policy.js';
import { decodeUtf8 } from './utf8.js';
import {
  PyByteArray,
  type PyDict,
  PyException,
  PyFloat,
  PyFrozenSet,
  PyGlobal,
  PyOpaque,
  PyToken,
  PyTuple,
  type PyValue,
} from './values.js';

export interface UnpickleOptions extends DecodeLimits {
  /** Which globals a pickle may call or instantiate (default: `DEFAULT_GLOBAL_POLICY`). */
  globals?: GlobalPolicy;
}

/** Decodes one pickle. Throws only `PickleError` subclasses for bad input. */
export function unpickle(input: Uint8Array, options: UnpickleOptions = {}): PyValue {
  return new Unpickler(input, options).load();
}

type StackItem = PyValue | GlobalRef;

const LATIN1_NAMES = new Set(['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1', 'l1']);

class Unpickler {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #pos = 0;
  readonly #stack: StackItem[] = [];
  /** Stack heights at each open MARK (CPython keeps them apart from the stack too). */
  readonly #marks: number[] = [];
  readonly #memo = new Map<number, StackItem>();
  #protocol = 0;
  #pushed = 0;
  readonly #maxDepth: number;
  readonly #maxMemo: number;
  readonly #maxValues: number;
  readonly #maxIntBytes: number;
  readonly #policy: GlobalPolicy;

  constructor(bytes: Uint8Array, options: UnpickleOptions) {
    const maxInput = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
    if (bytes.length > maxInput) {
      throw new PickleLimitError(`pickle of ${bytes.length} bytes exceeds the ${maxInput}-byte limit`);
    }
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.#maxMemo = options.maxMemoEntries ?? DEFAULT_MAX_MEMO_ENTRIES;
    this.#maxValues = options.maxValues ?? DEFAULT_MAX_VALUES;
    this.#maxIntBytes = options.maxIntBytes ?? DEFAULT_MAX_INT_BYTES;
    this.#policy = options.globals ?? DEFAULT_GLOBAL_POLICY;
  }

  load(): PyValue {
    for (;;) {
      const op = this.#u8();
      if (op === Op.STOP) return this.#stop();
      this.#step(op);
    }
  }

  #step(op: number): void {
    switch (op) {
      case Op.PROTO: {
        const version = this.#u8();
        if (version > HIGHEST_PROTOCOL) throw new PickleDecodeError(`unsupported pickle protocol ${version}`);
        this.#protocol = version;
        break;
      }
      case Op.FRAME:
        // Frames only group opcodes for buffered readers; we hold the whole input already.
        this.#need(this.#u64());
        break;
      case Op.MARK:
        this.#count();
        this.#marks.push(this.#stack.length);
        break;
      case Op.POP:
        this.#popOp();
        break;
      case Op.POP_MARK:
        this.#popMark();
        break;
      case Op.DUP:
        this.#push(this.#top());
        break;
      case Op.NONE:
        this.#push(null);
        break;
      case Op.NEWTRUE:
        this.#push(true);
        break;
      case Op.NEWFALSE:
        this.#push(false);
        break;
      case Op.BININT:
        this.#push(this.#view.getInt32(this.#advance(4), true));
        break;
      case Op.BININT1:
        this.#push(this.#u8());
        break;
      case Op.BININT2:
        this.#push(this.#view.getUint16(this.#advance(2), true));
        break;
      case Op.LONG1:
        this.#push(this.#long(this.#u8()));
        break;
      case Op.LONG4: {
        const n = this.#view.getInt32(this.#advance(4), true);
        if (n < 0) throw new PickleDecodeError(`LONG4 with a negative byte count (${n})`);
        this.#push(this.#long(n));
        break;
      }
      case Op.BINFLOAT:
        this.#push(float(this.#view.getFloat64(this.#advance(8), false)));
        break;
      case Op.SHORT_BINUNICODE:
        this.#push(decodeUtf8(this.#take(this.#u8())));
        break;
      case Op.BINUNICODE:
        this.#push(decodeUtf8(this.#take(this.#u32())));
        break;
      case Op.BINUNICODE8:
        this.#push(decodeUtf8(this.#take(this.#u64())));
        break;
      case Op.SHORT_BINBYTES:
        this.#push(this.#take(this.#u8()));
        break;
      case Op.BINBYTES:
        this.#push(this.#take(this.#u32()));
        break;
      case Op.BINBYTES8:
        this.#push(this.#take(this.#u64()));
        break;
      case Op.BYTEARRAY8:
        this.#push(byteArray(this.#take(this.#u64())));
        break;
      case Op.EMPTY_TUPLE:
        this.#push(new PyTuple([]));
        break;
      case Op.TUPLE:
        this.#push(new PyTuple(this.#values(this.#popMark())));
        break;
      case Op.TUPLE1:
      case Op.TUPLE2:
      case Op.TUPLE3:
        this.#push(new PyTuple(this.#popN(op - Op.TUPLE1 + 1)));
        break;
      case Op.EMPTY_LIST:
        this.#push([]);
        break;
      case Op.LIST:
        this.#push(this.#values(this.#popMark()));
        break;
      case Op.APPEND: {
        const item = this.#value(this.#pop());
        this.#list(this.#top()).push(item);
        break;
      }
      case Op.APPENDS: {
        const items = this.#values(this.#popMark());
        const list = this.#list(this.#top());
        for (const item of items) list.push(item);
        break;
      }
      case Op.EMPTY_DICT:
        this.#push(new Map());
        break;
      case Op.DICT: {
        const dict = new Map<PyValue, PyValue>();
        this.#setItems(dict, this.#popMark());
        this.#push(dict);
        break;
      }
      case Op.SETITEM: {
        const value = this.#value(this.#pop());
        const key = this.#value(this.#pop());
        setItem(this.#dict(this.#top()), key, value);
        break;
      }
      case Op.SETITEMS: {
        const items = this.#popMark();
        this.#setItems(this.#dict(this.#top()), items);
        break;
      }
      case Op.EMPTY_SET:
        this.#push(new Set());
        break;
      case Op.ADDITEMS: {
        const items = this.#values(this.#popMark());
        const target = this.#top();
        if (!(target instanceof Set)) throw new PickleDecodeError('ADDITEMS on something that is not a set');
        for (const item of items) target.add(item);
        break;
      }
      case Op.FROZENSET:
        this.#push(new PyFrozenSet(this.#values(this.#popMark())));
        break;
      case Op.MEMOIZE:
        this.#memoize(this.#memo.size);
        break;
      case Op.BINPUT:
        this.#memoize(this.#u8());
        break;
      case Op.LONG_BINPUT:
        this.#memoize(this.#u32());
        break;
      case Op.BINGET:
        this.#push(this.#recall(this.#u8()));
        break;
      case Op.LONG_BINGET:
        this.#push(this.#recall(this.#u32()));
        break;
      case Op.GLOBAL: {
        const module = this.#line();
        const name = this.#line();
        this.#push(resolveGlobal(module, name, this.#protocol));
        break;
      }
      case Op.STACK_GLOBAL: {
        const name = this.#pop();
        const module = this.#pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw new PickleDecodeError('STACK_GLOBAL needs a module and a name that are both str');
        }
        this.#push(resolveGlobal(module, name, this.#protocol));
        break;
      }
      case Op.REDUCE: {
        const args = this.#pop();
        const callable = this.#pop();
        this.#push(this.#reduce(callable, args));
        break;
      }
      case Op.NEWOBJ: {
        const args = this.#pop();
        this.#push(this.#newObject(this.#pop(), args, null));
        break;
      }
      case Op.NEWOBJ_EX: {
        const kwargs = this.#value(this.#pop());
        const args = this.#pop();
        if (!(kwargs instanceof Map)) throw new PickleDecodeError('NEWOBJ_EX keyword arguments must be a dict');
        this.#push(this.#newObject(this.#pop(), args, kwargs));
        break;
      }
      case Op.BUILD: {
        const state = this.#value(this.#pop());
        this.#build(this.#top(), state);
        break;
      }
      default:
        throw new PickleOpcodeError(`unsupported opcode ${describeOpcode(op)} at byte ${this.#pos - 1}`);
    }
  }

  #stop(): PyValue {
    const result = this.#value(this.#pop());
    checkDepth(result, this.#maxDepth);
    return result;
  }

  // --- input -------------------------------------------------------------

  /** Throws unless `n` more bytes exist (a length field can never make us read or allocate past the input). */
  #need(n: number): void {
    if (n > this.#bytes.length - this.#pos) {
      throw new PickleDecodeError(`pickle data was truncated (needed ${n} bytes at byte ${this.#pos})`);
    }
  }

  /** Returns the current position and moves past `n` checked bytes. */
  #advance(n: number): number {
    this.#need(n);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  #u8(): number {
    return this.#bytes[this.#advance(1)] as number;
  }

  #u32(): number {
    return this.#view.getUint32(this.#advance(4), true);
  }

  /** An 8-byte length; anything beyond the input is reported as truncation, without building a bigint. */
  #u64(): number {
    const at = this.#advance(8);
    const low = this.#view.getUint32(at, true);
    const high = this.#view.getUint32(at + 4, true);
    return high >= 0x200000 ? Number.MAX_SAFE_INTEGER : high * 0x100000000 + low;
  }

  /** A view of the next `n` bytes (no copy: decoded bytes values share the input buffer). */
  #take(n: number): Uint8Array {
    const at = this.#advance(n);
    return this.#bytes.subarray(at, at + n);
  }

  /** A newline-terminated name for GLOBAL, bounded in length. */
  #line(): string {
    const limit = Math.min(this.#bytes.length, this.#pos + MAX_GLOBAL_NAME_BYTES + 1);
    for (let i = this.#pos; i < limit; i++) {
      if (this.#bytes[i] === 0x0a) {
        const text = decodeUtf8(this.#bytes.subarray(this.#pos, i));
        this.#pos = i + 1;
        return text;
      }
    }
    if (limit === this.#bytes.length) throw new PickleDecodeError('pickle data was truncated inside a GLOBAL name');
    throw new PickleLimitError(`GLOBAL name longer than ${MAX_GLOBAL_NAME_BYTES} bytes`);
  }

  #long(n: number): number | bigint {
    if (n > this.#maxIntBytes)
      throw new PickleLimitError(`integer of ${n} bytes exceeds the ${this.#maxIntBytes}-byte limit`);
    return decodeLong(this.#take(n));
  }

  // --- stack -------------------------------------------------------------

  #count(): void {
    if (++this.#pushed > this.#maxValues) {
      throw new PickleLimitError(`pickle builds more than ${this.#maxValues} values`);
    }
  }

  #push(item: StackItem): void {
    this.#count();
    this.#stack.push(item);
  }

  /** Height below which the current MARK forbids popping. */
  #fence(): number {
    return this.#marks.length > 0 ? (this.#marks[this.#marks.length - 1] as number) : 0;
  }

  #pop(): StackItem {
    if (this.#stack.length <= this.#fence()) throw new PickleDecodeError('unpickling stack underflow');
    return this.#stack.pop() as StackItem;
  }

  #top(): StackItem {
    if (this.#stack.length <= this.#fence()) throw new PickleDecodeError('unpickling stack underflow');
    return this.#stack[this.#stack.length - 1] as StackItem;
  }

  #popN(n: number): PyValue[] {
    if (this.#stack.length - n < this.#fence()) throw new PickleDecodeError('unpickling stack underflow');
    return this.#values(this.#stack.splice(this.#stack.length - n, n));
  }

  #popMark(): StackItem[] {
    const mark = this.#marks.pop();
    if (mark === undefined) throw new PickleDecodeError('could not find MARK');
    return this.#stack.splice(mark);
  }

  /** POP as CPython does it: an empty MARK on top is popped like a value. */
  #popOp(): void {
    if (this.#marks.length > 0 && this.#marks[this.#marks.length - 1] === this.#stack.length) {
      this.#marks.pop();
      return;
    }
    this.#pop();
  }

  /** A global named as a value (a class, a function) becomes a `PyGlobal`, if the policy allows the name. */
  #value(item: StackItem): PyValue {
    if (!(item instanceof GlobalRef)) return item;
    if (!this.#policy.mayInstantiate(item.module, item.name) && item.kind === 'opaque') {
      throw new PickleForbiddenError(
        `refused global ${JSON.stringify(`${item.module}.${item.name}`)} used as a value: ${this.#policy.hint(item.module, item.name)}`,
      );
    }
    item.asValue ??= new PyGlobal(item.module, item.name);
    return item.asValue;
  }

  #values(items: StackItem[]): PyValue[] {
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as StackItem;
      if (item instanceof GlobalRef) items[i] = this.#value(item);
    }
    return items as PyValue[];
  }

  /** APPEND/APPENDS target: a list, or an opaque object (list subclasses, deque) that records the items. */
  #list(target: StackItem): PyValue[] {
    if (Array.isArray(target)) return target;
    if (target instanceof PyOpaque) return target.listItems;
    throw new PickleDecodeError('APPEND/APPENDS on something that is not a list');
  }

  /** SETITEM/SETITEMS target: a dict, or an opaque object (OrderedDict, Counter) that records the items. */
  #dict(target: StackItem): PyDict | PyOpaque {
    if (target instanceof Map || target instanceof PyOpaque) return target;
    throw new PickleDecodeError('SETITEM/SETITEMS on something that is not a dict');
  }

  #setItems(dict: PyDict | PyOpaque, items: StackItem[]): void {
    if (items.length % 2 !== 0) throw new PickleDecodeError('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) {
      setItem(dict, this.#value(items[i] as StackItem), this.#value(items[i + 1] as StackItem));
    }
  }

  // --- memo --------------------------------------------------------------

  #memoize(index: number): void {
    const top = this.#top();
    if (!this.#memo.has(index) && this.#memo.size >= this.#maxMemo) {
      throw new PickleLimitError(`more than ${this.#maxMemo} memo entries`);
    }
    this.#memo.set(index, top);
  }

  #recall(index: number): StackItem {
    const item = this.#memo.get(index);
    if (item === undefined) throw new PickleDecodeError(`memo key ${index} not found`);
    return item;
  }

  // --- objects -----------------------------------------------------------

  /** Applies a global to its args without running anything: known kinds build plain data, others stay opaque. */
  #reduce(callable: StackItem, argsItem: StackItem): PyValue {
    if (!(callable instanceof GlobalRef)) {
      throw new PickleForbiddenError(`refused REDUCE of ${describe(callable)}: only globals may be called`);
    }
    if (!(argsItem instanceof PyTuple)) throw new PickleDecodeError('REDUCE arguments must be a tuple');
    const args = argsItem.items;
    const [first, second] = args;
    switch (callable.kind) {
      case 'opaque':
        if (!this.#policy.mayCall(callable.module, callable.name)) {
          throw new PickleForbiddenError(
            `refused call of ${callable.module}.${callable.name}: peerproc passes on calls of known value types only; ${this.#policy.hint(callable.module, callable.name)}`,
          );
        }
        return new PyOpaque(callable.module, callable.name, 'call', argsItem);
      case 'exception':
        return new PyException(callable.module, callable.name, argsItem);
      case 'codecs-encode':
        if (args.length === 2 && typeof first === 'string' && typeof second === 'string') {
          if (LATIN1_NAMES.has(second.toLowerCase())) return latin1Bytes(first);
        }
        break;
      case 'bytes':
      case 'bytearray': {
        let bytes: Uint8Array | undefined;
        if (args.length === 0) bytes = new Uint8Array(0);
        else if (args.length === 1 && first instanceof Uint8Array) bytes = first;
        // Protocol 2 writes bytearray(b'..') as bytearray('..', 'latin-1').
        else if (args.length === 2 && typeof first === 'string' && typeof second === 'string') {
          if (LATIN1_NAMES.has(second.toLowerCase())) bytes = latin1Bytes(first);
        }
        if (bytes) return callable.kind === 'bytearray' ? byteArray(bytes) : bytes;
        break;
      }
      case 'set':
      case 'frozenset': {
        const items = args.length === 0 ? [] : args.length === 1 && Array.isArray(first) ? first : undefined;
        if (items) return callable.kind === 'set' ? new Set(items) : new PyFrozenSet(items);
        break;
      }
      case 'token':
        break;
    }
    throw new PickleForbiddenError(
      `refused call ${callable.module}.${callable.name} with ${args.length} argument(s) of this shape`,
    );
  }

  /** NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args, **kwargs)`, recorded, never run. */
  #newObject(cls: StackItem, argsItem: StackItem, kwargs: PyDict | null): PyValue {
    if (!(cls instanceof GlobalRef)) throw new PickleForbiddenError(`refused NEWOBJ of ${describe(cls)}: not a global`);
    if (!(argsItem instanceof PyTuple)) throw new PickleDecodeError('NEWOBJ arguments must be a tuple');
    if (cls.kind === 'token' && kwargs === null) {
      if (argsItem.length !== 0) throw new PickleDecodeError('NEWOBJ of Token takes no arguments');
      return new PyToken();
    }
    if (cls.kind !== 'opaque' || !this.#policy.mayInstantiate(cls.module, cls.name)) {
      throw new PickleForbiddenError(
        `refused instance of ${cls.module}.${cls.name}: ${this.#policy.hint(cls.module, cls.name)}`,
      );
    }
    return new PyOpaque(cls.module, cls.name, kwargs ? 'new_ex' : 'new', argsItem, { kwargs });
  }

  #build(target: StackItem, state: PyValue): void {
    if (target instanceof PyOpaque) {
      // The standard pickler writes BUILD at most once per object, after its items.
      if (target.state !== undefined) throw new PickleDecodeError(`BUILD twice on ${target.qualname}`);
      target.state = state;
      return;
    }
    if (target instanceof PyToken) {
      // Token.__getstate__ is (typeid, address, id).
      const [typeid, address, id] = state instanceof PyTuple ? state.items : [];
      if (!(state instanceof PyTuple) || state.length !== 3 || typeof typeid !== 'string' || typeof id !== 'string') {
        throw new PickleDecodeError('Token state must be a (typeid, address, id) tuple');
      }
      target.typeid = typeid;
      target.address = address as PyValue;
      target.id = id;
      return;
    }
    if (target instanceof PyException) {
      // BaseException.__reduce__ adds its __dict__ (e.g. __notes__) as BUILD state.
      if (state === null) return;
      if (!(state instanceof Map)) throw new PickleDecodeError('exception state must be a dict');
      target.state = target.state ? new Map([...target.state, ...state]) : state;
      return;
    }
    throw new PickleForbiddenError(`refused BUILD of ${describe(target)}: only Token and exception state`);
  }
}

/**
 * A Python float: a number, or `PyFloat` when integral (so that 2.0 goes back
 * as a float, not the int 2), -0.0 included (MessagePack would send a plain -0 as the int 0).
 */
function float(value: number): number | PyFloat {
  return Number.isSafeInteger(value) ? new PyFloat(value) : value;
}

/** A bytearray owns its bytes (decoded bytes values share the input buffer). */
function byteArray(bytes: Uint8Array): PyByteArray {
  const out = new PyByteArray(bytes.length);
  out.set(bytes);
  return out;
}

function setItem(target: PyDict | PyOpaque, key: PyValue, value: PyValue): void {
  if (target instanceof PyOpaque) target.dictItems.push([key, value]);
  else target.set(key, value);
}

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new PickleDecodeError('latin-1 bytes with a character above U+00FF');
    out[i] = code;
  }
  return out;
}

function describe(item: StackItem): string {
  if (item instanceof GlobalRef) return `${item.module}.${item.name}`;
  if (item === null) return 'None';
  if (Array.isArray(item)) return 'a list';
  if (item instanceof Map) return 'a dict';
  if (item instanceof PyTuple) return 'a tuple';
  return typeof item === 'object' ? (item.constructor?.name ?? 'an object') : `a ${typeof item}`;
}
