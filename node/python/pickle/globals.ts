/**
 * The globals a pickle may name. Decoding never imports or calls anything:
 * it recognises a few names it builds plain data for (`PyException`,
 * `PyToken`, bytes, bytearray, sets), and keeps every other global as a
 * name. Whether a pickle may *use* such a name is the `GlobalPolicy`'s call
 * (policy.ts): refused names never get past the decoder, so they never reach
 * a Python process either.
 */

import type { PyGlobal } from './values.js';

/**
 * What a global stands for once it is called (REDUCE) or instantiated
 * (NEWOBJ); `'opaque'` is any other name, kept as `PyOpaque`/`PyGlobal` if the policy allows it.
 */
export type GlobalKind =
  | 'exception'
  | 'codecs-encode'
  | 'bytes'
  | 'bytearray'
  | 'set'
  | 'frozenset'
  | 'token'
  | 'opaque';

/** A reference to an allowed global, as it sits on the decoder's stack waiting for REDUCE or NEWOBJ. */
export class GlobalRef {
  readonly module: string;
  readonly name: string;
  readonly kind: GlobalKind;
  /** The `PyGlobal` this reference becomes when a pickle uses it as a value (made once). */
  asValue: PyGlobal | undefined;

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
 * `get`/`put` timing out, (3.13+) a call on a queue that was shut down, and a
 * broken `threading.Barrier`.
 */
const OTHER_EXCEPTIONS: ReadonlySet<string> = new Set([
  '_queue.Empty',
  'queue.Empty',
  'queue.Full',
  'queue.ShutDown',
  'threading.BrokenBarrierError',
]);

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
  return (module === 'builtins' && BUILTIN_EXCEPTIONS.has(name)) || OTHER_EXCEPTIONS.has(`${module}.${name}`);
}

/** Python 2 module names Python 3 writes in protocol 0-2 pickles (a subset of `_compat_pickle.IMPORT_MAPPING`). */
const PY2_MODULES: ReadonlyMap<string, string> = new Map([
  ['__builtin__', 'builtins'],
  ['exceptions', 'builtins'],
  ['copy_reg', 'copyreg'],
  ['Queue', 'queue'],
  ['UserDict', 'collections'],
  ['UserList', 'collections'],
  ['UserString', 'collections'],
  ['thread', '_thread'],
  ['repr', 'reprlib'],
  ['cPickle', 'pickle'],
  ['StringIO', 'io'],
  ['cStringIO', 'io'],
]);

/** Renamed builtins (`_compat_pickle.NAME_MAPPING`): `range(...)` pickled with protocol 2 says `__builtin__.xrange`. */
const PY2_BUILTINS: ReadonlyMap<string, [string, string]> = new Map([
  ['xrange', ['builtins', 'range']],
  ['unicode', ['builtins', 'str']],
  ['basestring', ['builtins', 'str']],
  ['long', ['builtins', 'int']],
  ['unichr', ['builtins', 'chr']],
  ['reduce', ['functools', 'reduce']],
  ['intern', ['sys', 'intern']],
  ['StandardError', ['builtins', 'Exception']],
]);

/**
 * Python 3 reads protocol 0-2 pickles with `fix_imports`, renaming Python 2
 * modules and builtins; we read those spellings the same way (only for those
 * protocols), so an opaque value is written back under its Python 3 name.
 */
function fixImports(module: string, name: string): [string, string] {
  if (module === '__builtin__' || module === 'exceptions') {
    const renamed = PY2_BUILTINS.get(name);
    if (renamed) return renamed;
  }
  return [PY2_MODULES.get(module) ?? module, name];
}

/** Resolves a GLOBAL/STACK_GLOBAL name to what it stands for (never importing anything). */
export function resolveGlobal(rawModule: string, rawName: string, protocol: number): GlobalRef {
  const [module, name] = protocol < 3 ? fixImports(rawModule, rawName) : [rawModule, rawName];
  if (isAllowedException(module, name)) return new GlobalRef(module, name, 'exception');
  return new GlobalRef(module, name, OTHER_GLOBALS.get(`${module}.${name}`) ?? 'opaque');
}
