/**
 * The only globals a pickle may name. Everything else is refused: decoding
 * never imports or calls anything, it only recognises these names and builds
 * plain data (`PyException`, `PyToken`, bytes, sets) for them.
 */
import { PickleForbiddenError } from './errors.js';

/** What an allowed global stands for once it is called (REDUCE) or instantiated (NEWOBJ). */
export type GlobalKind = 'exception' | 'codecs-encode' | 'bytes' | 'bytearray' | 'set' | 'frozenset' | 'token';

/** A reference to an allowed global, as it sits on the decoder's stack waiting for REDUCE or NEWOBJ. */
export class GlobalRef {
  readonly module: string;
  readonly name: string;
  readonly kind: GlobalKind;

  constructor(module: string, name: string, kind: GlobalKind) {
    this.module = module;
    this.name = name;
    this.kind = kind;
  }
}

/** Python's builtin exception classes (3.11-3.13): pure data here, so all of them are harmless. */
export const BUILTIN_EXCEPTIONS: ReadonlySet<string> = new Set([
  'ArithmeticError',
  'AssertionError',
  'AttributeError',
  'BaseException',
  'BlockingIOError',
  'BrokenPipeError',
  'BufferError',
  'BytesWarning',
  'ChildProcessError',
  'ConnectionAbortedError',
  'ConnectionError',
  'ConnectionRefusedError',
  'ConnectionResetError',
  'DeprecationWarning',
  'EOFError',
  'EncodingWarning',
  'EnvironmentError',
  'Exception',
  'FileExistsError',
  'FileNotFoundError',
  'FloatingPointError',
  'FutureWarning',
  'GeneratorExit',
  'IOError',
  'ImportError',
  'ImportWarning',
  'IndentationError',
  'IndexError',
  'InterruptedError',
  'IsADirectoryError',
  'KeyError',
  'KeyboardInterrupt',
  'LookupError',
  'MemoryError',
  'ModuleNotFoundError',
  'NameError',
  'NotADirectoryError',
  'NotImplementedError',
  'OSError',
  'OverflowError',
  'PendingDeprecationWarning',
  'PermissionError',
  'ProcessLookupError',
  'RecursionError',
  'ReferenceError',
  'ResourceWarning',
  'RuntimeError',
  'RuntimeWarning',
  'StopAsyncIteration',
  'StopIteration',
  'SyntaxError',
  'SyntaxWarning',
  'SystemError',
  'SystemExit',
  'TabError',
  'TimeoutError',
  'TypeError',
  'UnboundLocalError',
  'UnicodeDecodeError',
  'UnicodeEncodeError',
  'UnicodeError',
  'UnicodeTranslateError',
  'UnicodeWarning',
  'UserWarning',
  'ValueError',
  'Warning',
  'ZeroDivisionError',
]);

/**
 * Exceptions outside builtins that the managers protocol sends: a queue's
 * `get`/`put` timing out, and (3.13+) a call on a queue that was shut down.
 */
const QUEUE_EXCEPTIONS: ReadonlySet<string> = new Set(['_queue.Empty', 'queue.Empty', 'queue.Full', 'queue.ShutDown']);

const OTHER_GLOBALS: ReadonlyMap<string, GlobalKind> = new Map<string, GlobalKind>([
  // Protocol 2 writes bytes as _codecs.encode(latin1_str, 'latin1') and b'' as bytes().
  ['_codecs.encode', 'codecs-encode'],
  ['builtins.bytes', 'bytes'],
  ['builtins.bytearray', 'bytearray'],
  // Protocols 2 and 3 write sets as set([items]) / frozenset([items]).
  ['builtins.set', 'set'],
  ['builtins.frozenset', 'frozenset'],
  // The identity of a served object, inside '#PROXY' replies and get_methods requests.
  ['multiprocessing.managers.Token', 'token'],
]);

/** True when `module.name` is an exception class the codec may decode and encode. */
export function isAllowedException(module: string, name: string): boolean {
  return (module === 'builtins' && BUILTIN_EXCEPTIONS.has(name)) || QUEUE_EXCEPTIONS.has(`${module}.${name}`);
}

/**
 * Python 3 reads protocol 0-2 pickles with `fix_imports`, renaming Python 2
 * modules (`exceptions`, `__builtin__`, `Queue`); we accept those spellings
 * the same way, and only for those protocols.
 */
function fixImports(module: string, name: string): [string, string] {
  if (module === 'exceptions') return ['builtins', name === 'StandardError' ? 'Exception' : name];
  if (module === '__builtin__') return ['builtins', name];
  if (module === 'Queue') return ['queue', name];
  return [module, name];
}

/** Resolves a GLOBAL/STACK_GLOBAL name, or refuses it with `PickleForbiddenError`. */
export function resolveGlobal(rawModule: string, rawName: string, protocol: number): GlobalRef {
  const [module, name] = protocol < 3 ? fixImports(rawModule, rawName) : [rawModule, rawName];
  if (isAllowedException(module, name)) return new GlobalRef(module, name, 'exception');
  const kind = OTHER_GLOBALS.get(`${module}.${name}`);
  if (kind) return new GlobalRef(module, name, kind);
  throw new PickleForbiddenError(
    `refused global ${JSON.stringify(`${rawModule}.${rawName}`)}: only queue.Empty/Full, builtin exceptions and the few types the managers protocol needs are allowed`,
  );
}
