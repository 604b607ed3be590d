/**
 * Which globals a pickle may use, beyond the plain data the codec builds
 * itself. peerproc never imports or calls them; it keeps them as `PyOpaque`
 * / `PyGlobal` and writes them back unchanged. But the next Python process
 * that unpickles the value *does* import and call them, so the policy
 * decides what a peer may make a Python consumer run:
 *
 * - calls (REDUCE, `global(*args)`): only the stdlib value types below by
 *   default (`datetime.datetime(...)`, `decimal.Decimal('1.1')`...). A call
 *   of anything else (`os.system`, `builtins.eval`...) is refused.
 * - instances (NEWOBJ, `cls.__new__(cls, *args)` then its state) and
 *   globals named as values: those value types, the builtin exceptions, and
 *   any class of a client's own script (`__main__.*`: what plain classes,
 *   dataclasses and namedtuples defined there pickle as).
 *
 * `allow` patterns widen both: `'myapp.models.*'` (every top-level name of
 * that module), `'myapp.Color'` (one name, dotted qualnames included), or
 * `'*'`: any global, which is CPython's own trust model (any authenticated
 * peer may make a Python consumer run any code).
 */
import { isAllowedException } from './globals.js';

/**
 * Python value types whose pickles call (REDUCE) or instantiate (NEWOBJ)
 * the class itself with plain data, and whose constructors run no code
 * they are given. `pathlib._local` is where 3.13 defines the path classes.
 */
export const VALUE_TYPES: readonly string[] = [
  'builtins.complex',
  'builtins.range',
  'builtins.slice',
  'builtins.object',
  'datetime.date',
  'datetime.time',
  'datetime.datetime',
  'datetime.timedelta',
  'datetime.timezone',
  'decimal.Decimal',
  'fractions.Fraction',
  'uuid.UUID',
  'uuid.SafeUUID',
  'collections.OrderedDict',
  'collections.deque',
  'collections.Counter',
  'ipaddress.IPv4Address',
  'ipaddress.IPv6Address',
  'ipaddress.IPv4Network',
  'ipaddress.IPv6Network',
  'ipaddress.IPv4Interface',
  'ipaddress.IPv6Interface',
  'array.array',
  'array._array_reconstructor',
  'zoneinfo.ZoneInfo._unpickle',
  ...['pathlib', 'pathlib._local'].flatMap((module) =>
    ['PurePath', 'PurePosixPath', 'PureWindowsPath', 'Path', 'PosixPath', 'WindowsPath'].map((n) => `${module}.${n}`),
  ),
];

/**
 * Builtin types, which pickles name as values (`int` in a list, a
 * `defaultdict(int)`'s factory) and which NEWOBJ may instantiate
 * (`int.__new__(int, 5)` for an int subclass's base is data, not a call).
 */
const BUILTIN_TYPES: readonly string[] = [
  'int',
  'float',
  'str',
  'bytes',
  'bool',
  'list',
  'tuple',
  'dict',
  'set',
  'frozenset',
  'type',
  'NoneType',
].map((name) => `builtins.${name}`);

/** Classes a client's own script defines: plain classes, dataclasses, namedtuples. */
export const OWN_CLASSES = '__main__.*';

export interface GlobalPolicyOptions {
  /** Extra globals allowed for calls and instances: `'pkg.module.*'`, `'pkg.module.Name'`, or `'*'` for any. */
  allow?: readonly string[];
}

/** A compiled set of `module.name` patterns. */
class Patterns {
  readonly #exact = new Set<string>();
  /** Modules all of whose top-level names match (`module.*`). */
  readonly #modules = new Set<string>();
  #any = false;

  constructor(patterns: Iterable<string>) {
    for (const pattern of patterns) {
      if (pattern === '*') this.#any = true;
      else if (pattern.endsWith('.*')) this.#modules.add(pattern.slice(0, -2));
      else this.#exact.add(pattern);
    }
  }

  matches(module: string, name: string): boolean {
    if (this.#any || this.#exact.has(`${module}.${name}`)) return true;
    // `module.*` covers top-level names only: `__main__.os.system` is an attribute chain, not a class.
    return this.#modules.has(module) && !name.includes('.');
  }
}

/** Checks a pattern given by a user (a CLI flag or an option): `module.Name`, `module.*` or `*`. */
export function isGlobalPattern(pattern: string): boolean {
  return pattern === '*' || /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*(\.\*|\.[A-Za-z_][\w]*)$/.test(pattern);
}

export class GlobalPolicy {
  readonly #calls: Patterns;
  readonly #instances: Patterns;
  /** The extra patterns, for messages. */
  readonly allow: readonly string[];

  constructor(options: GlobalPolicyOptions = {}) {
    this.allow = [...(options.allow ?? [])];
    this.#calls = new Patterns([...VALUE_TYPES, ...this.allow]);
    this.#instances = new Patterns([...VALUE_TYPES, ...BUILTIN_TYPES, OWN_CLASSES, ...this.allow]);
  }

  /** May a pickle call `module.name(*args)` (REDUCE)? */
  mayCall(module: string, name: string): boolean {
    return this.#calls.matches(module, name);
  }

  /** May a pickle create an instance of `module.name` (NEWOBJ), or name it as a value? */
  mayInstantiate(module: string, name: string): boolean {
    return this.#instances.matches(module, name) || isAllowedException(module, name);
  }

  /** The advice appended to refusals. */
  hint(module: string, name: string): string {
    return `allow it with --python-globals ${module}.${name} (option pythonGlobals) if your Python peers trust whoever sends it`;
  }
}

export const DEFAULT_GLOBAL_POLICY = new GlobalPolicy();
