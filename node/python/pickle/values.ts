/**
 * The JavaScript forms of Python values.
 *
 * | Python                  | decoded as                               | encoded from                                  |
 * |-------------------------|------------------------------------------|-----------------------------------------------|
 * | None                    | `null`                                   | `null`, `undefined`                           |
 * | bool                    | `boolean`                                | `boolean`                                     |
 * | int                     | `number` when safe, `bigint` beyond      | safe-integer `number`, `bigint`               |
 * | float                   | `number`                                 | non-integer `number`, NaN, ±Infinity, -0, `PyFloat` |
 * | str                     | `string`                                 | `string`                                      |
 * | bytes (bytearray)       | `Uint8Array` (may view the input buffer) | `Uint8Array`                                  |
 * | tuple                   | `PyTuple`                                | `PyTuple`                                     |
 * | list                    | `Array`                                  | `Array`                                       |
 * | dict                    | `Map` (any key type, insertion order)    | `Map`, or a plain object (str keys)           |
 * | set / frozenset         | `Set` / `PyFrozenSet`                    | `Set` / `PyFrozenSet`                         |
 * | allowed exceptions      | `PyException`                            | `PyException`                                 |
 * | multiprocessing Token   | `PyToken`                                | `PyToken`                                     |
 *
 * Dicts decode to `Map` because Python keys are not only strings (ints,
 * tuples...) and a `Map` cannot be polluted through `__proto__`. A float with
 * an integral value (2.0) decodes to the number 2 and re-encodes as the int 2:
 * wrap it in `PyFloat` to keep it a float.
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
  | PyToken;

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

/** Forces a number to be written as a Python float (2 would otherwise be the int 2). */
export class PyFloat {
  readonly value: number;

  constructor(value: number) {
    this.value = value;
  }
}

/**
 * An instance of one of the allowed Python exception classes (see globals.ts):
 * only its class name and args, as `BaseException.__reduce__` sends them, plus
 * the attribute dict when there is one (`__notes__`...).
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
  if (value instanceof Uint8Array) return bytesRepr(value);
  if (value instanceof PyFloat) return floatRepr(value.value);
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
