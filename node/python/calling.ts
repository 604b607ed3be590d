/**
 * Python calls onto JS functions, with CPython's calling convention and its
 * `TypeError` texts (identical in 3.11-3.13): positional and keyword
 * arguments are bound to the parameters a function declares
 * (`pythonParams`, shared/python/call.ts). A function that declares nothing
 * takes positional arguments only, checked against the parameters its JS
 * source lists; keyword arguments are refused as CPython refuses them
 * (`Calc.add() got an unexpected keyword argument 'a'`), and so are missing
 * and surplus arguments.
 */

import { declaredSignature, type PythonParam } from '../../shared/python/call.js';
import { PyException, type PyValue } from './pickle/index.js';
import { PythonException } from './wire/index.js';

export interface Param {
  name: string;
  default?: PyValue;
}

export interface PythonSignature {
  /** As CPython names the function in messages: `Queue.get`, `Calc.add`, `create`. */
  qualname: string;
  params: readonly Param[];
  /** A method: CPython counts `self` in "takes 3 positional arguments but 4 were given". */
  method?: boolean;
  /** `*args`: extra positional arguments are collected instead of refused. */
  varargs?: boolean;
  /** `**kwargs`: extra keyword arguments are collected instead of refused. */
  varkw?: boolean;
}

export interface BoundCall {
  /** One value per parameter, defaults filled in. */
  values: PyValue[];
  /** Positional arguments beyond the parameters (`*args`). */
  rest: PyValue[];
  /** Keyword arguments that are not parameters (`**kwargs`). */
  extra: Map<string, PyValue>;
}

export function pythonError(name: string, message: string): PythonException {
  return new PythonException(new PyException('builtins', name, [message]));
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `'a'`, `'a' and 'b'`, `'a', 'b', and 'c'`, as CPython lists missing arguments. */
function nameList(names: string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  if (quoted.length <= 2) return quoted.join(' and ');
  return `${quoted.slice(0, -1).join(', ')}, and ${quoted.at(-1)}`;
}

/** Binds a Python call to `signature`, raising CPython's TypeErrors. */
export function bindPython(
  signature: PythonSignature,
  args: readonly PyValue[],
  kwds: ReadonlyMap<string, PyValue>,
): BoundCall {
  const { qualname, params } = signature;
  const self = signature.method ? 1 : 0;
  if (args.length > params.length && !signature.varargs) {
    const required = params.filter((p) => !('default' in p)).length;
    const takes =
      required === params.length
        ? `takes ${plural(params.length + self, 'positional argument')}`
        : `takes from ${required + self} to ${params.length + self} positional arguments`;
    const given = args.length + self;
    throw pythonError('TypeError', `${qualname}() ${takes} but ${given} ${given === 1 ? 'was' : 'were'} given`);
  }
  const values: Array<PyValue | undefined> = args.slice(0, params.length);
  const extra = new Map<string, PyValue>();
  for (const [key, value] of kwds) {
    const index = params.findIndex((p) => p.name === key);
    if (index < 0) {
      if (!signature.varkw) throw pythonError('TypeError', `${qualname}() got an unexpected keyword argument '${key}'`);
      extra.set(key, value);
    } else if (index < args.length) {
      throw pythonError('TypeError', `${qualname}() got multiple values for argument '${key}'`);
    } else {
      values[index] = value;
    }
  }
  const missing = params.filter((p, i) => values[i] === undefined && !('default' in p)).map((p) => p.name);
  if (missing.length > 0) {
    throw pythonError(
      'TypeError',
      `${qualname}() missing ${plural(missing.length, 'required positional argument')}: ${nameList(missing)}`,
    );
  }
  return {
    values: params.map((p, i) => (values[i] === undefined ? (p.default as PyValue) : (values[i] as PyValue))),
    rest: args.slice(params.length),
    extra,
  };
}

/** `bindPython` for a plain signature: the values only (server-level calls, queue methods). */
export function bindArgs(
  qualname: string,
  params: readonly Param[],
  args: readonly PyValue[],
  kwds: ReadonlyMap<string, PyValue>,
  method = false,
): PyValue[] {
  return bindPython({ qualname, params, method }, args, kwds).values;
}

/** A signature from `pythonParams` declarations (`'*args'`, `'**kwargs'`, `['b', 0]`). */
export function fromDeclared(qualname: string, declared: readonly PythonParam[], method: boolean): PythonSignature {
  const params: Param[] = [];
  let varargs = false;
  let varkw = false;
  for (const param of declared) {
    if (typeof param === 'string' && param.startsWith('**')) varkw = true;
    else if (typeof param === 'string' && param.startsWith('*')) varargs = true;
    else if (typeof param === 'string') params.push({ name: param });
    else params.push({ name: param[0], default: param[1] });
  }
  return { qualname, params, method, varargs, varkw };
}

/**
 * The parameter list of a JS function, read from its source: plain names,
 * names with defaults, a rest parameter. Undefined when the source does not
 * say (native or bound functions, destructured parameters).
 */
export function sourceParams(fn: (...args: never[]) => unknown): { params: Param[]; rest: boolean } | undefined {
  const source = Function.prototype.toString.call(fn);
  if (source.includes('[native code]')) return undefined;
  const arrow = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(source);
  if (arrow) return { params: [{ name: arrow[1] as string }], rest: false };
  const open = source.indexOf('(');
  if (open < 0) return undefined;
  const parts: string[] = [];
  let depth = 0;
  let start = open + 1;
  let quote: string | undefined;
  for (let i = open + 1; i < source.length; i++) {
    const c = source[i] as string;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' && depth === 0) {
      parts.push(source.slice(start, i));
      break;
    } else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  const params: Param[] = [];
  let rest = false;
  for (const raw of parts.map((p) => p.trim()).filter((p) => p.length > 0)) {
    const match = /^(\.\.\.)?\s*([A-Za-z_$][\w$]*)\s*(=.*)?$/s.exec(raw);
    if (!match) return undefined;
    if (match[1]) rest = true;
    // A JS default applies when the argument is missing: it is optional, whatever its value.
    else params.push(match[3] ? { name: match[2] as string, default: null } : { name: match[2] as string });
  }
  return { params, rest };
}

/**
 * Python ints beyond 2**53 arrive as `bigint`: if any argument of a call is
 * one, every integer argument is passed as a `bigint`, so that arithmetic
 * between them is exact instead of failing with "Cannot mix BigInt and other types".
 */
export function normalizeInts(args: PyValue[]): PyValue[] {
  if (!args.some((a) => typeof a === 'bigint')) return args;
  return args.map((a) => (typeof a === 'number' && Number.isSafeInteger(a) ? BigInt(a) : a));
}

/**
 * Calls `fn` as Python would: with the signature it declares (`pythonParams`)
 * or the one its source shows; keyword arguments only when declared.
 */
export function callPython(
  fn: (...args: never[]) => unknown,
  qualname: string,
  args: readonly PyValue[],
  kwds: ReadonlyMap<string, PyValue>,
  thisArg?: unknown,
): unknown {
  const method = thisArg !== undefined;
  const declared = declaredSignature(fn);
  const call = (values: unknown[]): unknown => (fn as (...a: unknown[]) => unknown).apply(thisArg, values);
  if (declared) {
    const signature = fromDeclared(declared.qualname ?? qualname, declared.params, declared.method ?? method);
    const bound = bindPython(signature, args, kwds);
    const values: unknown[] = [...bound.values];
    if (signature.varargs) values.push(...bound.rest);
    if (signature.varkw) values.push(Object.fromEntries(bound.extra));
    return call(values);
  }
  // Undeclared: positional arguments only, checked against the parameters the source lists.
  const [key] = kwds.keys();
  if (key !== undefined) throw pythonError('TypeError', `${qualname}() got an unexpected keyword argument '${key}'`);
  const found = sourceParams(fn);
  if (found) bindPython({ qualname, params: found.params, method, varargs: found.rest }, args, kwds);
  return call(normalizeInts([...args]));
}
