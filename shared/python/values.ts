/**
 * The JavaScript forms of Python values, shared by every peer: a Python
 * value put by a CPython process keeps its Python type on its way through a
 * peerproc master and through JS workers (over WebRTC, see
 * codec-extensions.ts), so it reaches the next Python process exactly as it was.
 *
 * | Python                         | JavaScript                                              |
 * |--------------------------------|---------------------------------------------------------|
 * | None, bool, str                | `null`, `boolean`, `string`                             |
 * | int                            | `number` when a safe integer, `bigint` beyond           |
 * | float                          | `number`; `PyFloat` when its value is integral (2.0)    |
 * | bytes / bytearray              | `Uint8Array` / `PyByteArray` (a Uint8Array too)         |
 * | tuple, list, dict              | `PyTuple`, `Array`, `Map`                               |
 * | set / frozenset                | `Set` / `PyFrozenSet`                                   |
 * | builtin exceptions, queue.Empty | `PyException`                                          |
 * | a class, function (by name)    | `PyGlobal`                                              |
 * | anything else (datetime, Decimal, your classes...) | `PyOpaque`: kept as pickled, never run |
 * | multiprocessing Token          | `PyToken`                                               |
 *
 * Nothing here runs Python code or imports anything: a `PyOpaque` is only the
 * name of a global and the arguments the pickle gave it, written back as they came.
 */

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyFloat
  | PyTuple
  | PyValue[]
  | PyDict
  | PySet
  | PyFrozenSet
  | PyException
  | PyToken
  | PyGlobal
  | PyOpaque;

export type PyDict = Map<PyValue, PyValue>;
export type PySet = Set<PyValue>;

/** A Python tuple: immutable, and distinct from a list so it round-trips as a tuple. */
export class PyTuple {
  readonly items: readonly PyValue[];

  constructor(items: readonly PyValue[] = []) {
    this.items = items;
  }

  get length(): number {
    return this.items.length;
  }

  at(index: number): PyValue | undefined {
    return this.items.at(index);
  }

  [Symbol.iterator](): Iterator<PyValue> {
    return this.items[Symbol.iterator]();
  }
}

/** `tuple('#RETURN', value)`: shorthand for `new PyTuple([...])`. */
export function tuple(...items: PyValue[]): PyTuple {
  return new PyTuple(items);
}

/** A Python frozenset (a JS `Set` stands for a mutable set). */
export class PyFrozenSet {
  readonly items: readonly PyValue[];

  constructor(items: Iterable<PyValue> = []) {
    this.items = [...items];
  }
}

/**
 * A Python float whose value is integral (`2.0`): JS has one number type, and
 * a plain `2` is written back as the int 2. Arithmetic works on it
 * (`valueOf`); wrap a number in it to send a float.
 */
export class PyFloat {
  readonly value: number;

  constructor(value: number) {
    this.value = value;
  }

  valueOf(): number {
    return this.value;
  }

  toString(): string {
    return String(this.value);
  }

  toJSON(): number {
    return this.value;
  }
}

/** A Python bytearray: a `Uint8Array` that is written back as a bytearray, not as bytes. */
export class PyByteArray extends Uint8Array {}

/**
 * An instance of one of the allowed Python exception classes: only its class
 * name and args, as `BaseException.__reduce__` sends them, plus the attribute
 * dict when there is one (`__notes__`...).
 */
export class PyException {
  readonly module: string;
  readonly name: string;
  readonly args: PyTuple;
  state: PyDict | null;

  constructor(module: string, name: string, args: PyTuple | readonly PyValue[] = [], state: PyDict | null = null) {
    this.module = module;
    this.name = name;
    this.args = args instanceof PyTuple ? args : new PyTuple(args);
    this.state = state;
  }

  /** What Python's `str(exc)` prints: '' without args, the single arg, or the args tuple. */
  get message(): string {
    const args = this.args.items;
    if (args.length === 0) return '';
    if (args.length === 1) {
      // KeyError is the one builtin whose str() shows the repr (quotes included).
      return this.name === 'KeyError' ? pyRepr(args[0] as PyValue) : pyStr(args[0] as PyValue);
    }
    return pyRepr(this.args);
  }
}

/** `multiprocessing.managers.Token`: names a served object (sent inside `#PROXY` replies and to `get_methods`). */
export class PyToken {
  typeid: string;
  address: PyValue;
  id: string;

  constructor(typeid = '', address: PyValue = null, id = '') {
    this.typeid = typeid;
    this.address = address;
    this.id = id;
  }
}

/** A Python global named as a value (a class, a function, an enum member by name): only its name. */
export class PyGlobal {
  readonly module: string;
  readonly name: string;

  constructor(module: string, name: string) {
    this.module = module;
    this.name = name;
  }

  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * How a pickle made an opaque object: `'call'` is `REDUCE` (`global(*args)`,
 * e.g. `datetime.datetime(b'...')`), `'new'` is `NEWOBJ` (`cls.__new__(cls,
 * *args)`, your classes and namedtuples), `'new_ex'` is `NEWOBJ_EX` (with keyword arguments).
 */
export type PyOpaqueHow = 'call' | 'new' | 'new_ex';

/**
 * A Python object peerproc does not represent (a `datetime`, a `Decimal`, an
 * instance of your own class...), kept exactly as the pickle built it: the
 * global it names, the arguments it passed, and what the pickle then did to
 * it (items appended or set, state given with BUILD). Writing it back emits
 * the same opcodes with the same arguments, so the next Python process gets
 * an equal object; peerproc itself never imports or calls anything. JS code
 * can read the fields, and pass the object on unchanged.
 */
export class PyOpaque {
  readonly module: string;
  readonly name: string;
  readonly how: PyOpaqueHow;
  readonly args: PyTuple;
  /** Keyword arguments of `NEWOBJ_EX`; null otherwise. */
  readonly kwargs: PyDict | null;
  /** The BUILD argument (`__setstate__`'s state or the `__dict__`), undefined without BUILD. */
  state: PyValue | undefined;
  /** Items appended after creation (list subclasses, `deque`). */
  readonly listItems: PyValue[];
  /** Items set after creation (dict subclasses: `OrderedDict`, `Counter`). */
  readonly dictItems: Array<[PyValue, PyValue]>;

  constructor(
    module: string,
    name: string,
    how: PyOpaqueHow,
    args: PyTuple | readonly PyValue[] = [],
    options: {
      kwargs?: PyDict | null;
      state?: PyValue;
      listItems?: PyValue[];
      dictItems?: Array<[PyValue, PyValue]>;
    } = {},
  ) {
    this.module = module;
    this.name = name;
    this.how = how;
    this.args = args instanceof PyTuple ? args : new PyTuple(args);
    this.kwargs = options.kwargs ?? null;
    this.state = options.state;
    this.listItems = options.listItems ?? [];
    this.dictItems = options.dictItems ?? [];
  }

  /** `'datetime.datetime'`. */
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Python's `type(value).__name__`, for messages (`'list'`, `'NoneType'`, `'datetime'`). */
export function pyTypeName(value: PyValue): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return Number.isSafeInteger(value) && !Object.is(value, -0) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (value instanceof PyByteArray) return 'bytearray';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof PyFloat) return 'float';
  if (value instanceof PyTuple) return 'tuple';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Map) return 'dict';
  if (value instanceof Set) return 'set';
  if (value instanceof PyFrozenSet) return 'frozenset';
  if (value instanceof PyException || value instanceof PyOpaque) return value.name.split('.').pop() as string;
  if (value instanceof PyToken) return 'Token';
  if (value instanceof PyGlobal) return 'type';
  return 'object';
}

/** Python's `str()` of a value (strings unquoted). */
export function pyStr(value: PyValue): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** A close approximation of Python's `repr()`, for messages only; cycles print as `...`. */
export function pyRepr(value: PyValue, seen: Set<object> = new Set()): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && !Object.is(value, -0) ? String(value) : floatRepr(value);
  if (typeof value === 'string') return strRepr(value);
  if (value instanceof PyByteArray) return `bytearray(${bytesRepr(value)})`;
  if (value instanceof Uint8Array) return bytesRepr(value);
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (value instanceof PyGlobal) return `<${value.qualname}>`;
  if (seen.has(value)) return '...';
  seen.add(value);
  try {
    const list = (items: Iterable<PyValue>): string => [...items].map((v) => pyRepr(v, seen)).join(', ');
    if (value instanceof PyTuple) return value.length === 1 ? `(${list(value)},)` : `(${list(value)})`;
    if (Array.isArray(value)) return `[${list(value)}]`;
    if (value instanceof Map) {
      return `{${[...value].map(([k, v]) => `${pyRepr(k, seen)}: ${pyRepr(v, seen)}`).join(', ')}}`;
    }
    if (value instanceof Set) return value.size === 0 ? 'set()' : `{${list(value)}}`;
    if (value instanceof PyFrozenSet)
      return value.items.length === 0 ? 'frozenset()' : `frozenset({${list(value.items)}})`;
    if (value instanceof PyException) return `${value.name}(${list(value.args)})`;
    if (value instanceof PyToken) {
      return `Token(typeid=${strRepr(value.typeid)}, address=${pyRepr(value.address, seen)}, id=${strRepr(value.id)})`;
    }
    if (value instanceof PyOpaque) return `${value.name}(${list(value.args)})`;
    return String(value);
  } finally {
    seen.delete(value);
  }
}

function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  const abs = Math.abs(x);
  // Python switches to exponent form at 1e16 and below 1e-4, with at least two exponent digits.
  let s = abs !== 0 && (abs >= 1e16 || abs < 1e-4) ? x.toExponential() : String(x);
  if (!/[.e]/.test(s)) s += '.0';
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

function bytesRepr(bytes: Uint8Array): string {
  let out = "b'";
  for (const b of bytes) {
    if (b === 0x27 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out}'`;
}
