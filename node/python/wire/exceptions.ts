/**
 * Errors across the Python boundary. Outgoing, our errors become the Python
 * exceptions a CPython manager would have raised (`Empty` is
 * `_queue.Empty()`, exactly as CPython pickles it, so a Python worker's
 * `except queue.Empty` fires). Incoming, `queue.Empty`/`queue.Full` become
 * our `Empty`/`Full` and anything else a `RemoteError` with the Python class
 * name and message. Only names and messages cross: no stacks, no paths.
 */
import { Empty, Full, RemoteError, ShutDown } from '../../../shared/errors.js';
import { PythonException } from '../../../shared/python/exception.js';
import { BUILTIN_EXCEPTIONS, isAllowedException } from '../pickle/globals.js';
import { PyException, type PyValue, pyRepr } from '../pickle/values.js';

// Throw this to make a Python caller see exactly `exception` (e.g. CPython's `KeyError(ident)`).
export { PythonException } from '../../../shared/python/exception.js';

/** Our error names that have a natural Python builtin counterpart. */
const PYTHON_NAMES: Readonly<Record<string, string>> = {
  RangeError: 'ValueError',
  MethodNotExposedError: 'AttributeError',
  UnknownTypeidError: 'KeyError',
  ConnectionClosedError: 'EOFError',
  ConfigError: 'ValueError',
};

/**
 * The Python exception standing for `err`: a JS `Error` is `Exception(message)`,
 * an error of another kind `Exception('Name: message')`, builtin names map to themselves.
 */
export function toPythonException(err: unknown): PyException {
  if (err instanceof PythonException && isAllowedException(err.exception.module, err.exception.name)) {
    return err.exception;
  }
  if (err instanceof Empty) return new PyException('_queue', 'Empty');
  if (err instanceof Full) return new PyException('queue', 'Full');
  if (err instanceof ShutDown) return new PyException('queue', 'ShutDown');
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  const pythonName = PYTHON_NAMES[name] ?? (BUILTIN_EXCEPTIONS.has(name) ? name : undefined);
  if (pythonName) return new PyException('builtins', pythonName, [message]);
  return new PyException('builtins', 'Exception', [name === 'Error' ? message : `${name}: ${message}`]);
}

/** The error to throw for a `#ERROR` reply. */
export function fromPythonException(value: PyValue): Error {
  if (value instanceof PyException) {
    if (value.name === 'Empty' && (value.module === '_queue' || value.module === 'queue')) return new Empty();
    if (value.name === 'Full' && value.module === 'queue') return new Full();
    if (value.name === 'ShutDown' && value.module === 'queue') return new ShutDown();
    return new RemoteError(value.name, value.message);
  }
  return new RemoteError('RemoteError', pyRepr(value));
}

/**
 * The short `#TRACEBACK` text we send instead of a Python traceback: the
 * shape Python's `RemoteError` prints, with the last line `Name: message`.
 */
export function tracebackText(err: unknown): string {
  const exception = toPythonException(err);
  const message = exception.message;
  return `Traceback (most recent call last):\n  [stack not sent by the peerproc manager]\n${exception.name}${message ? `: ${message}` : ''}\n`;
}

/** The error to throw for a `#TRACEBACK` or `#UNSERIALIZABLE` text: named after its last `Name: message` line. */
export function fromTraceback(text: string, kind: '#TRACEBACK' | '#UNSERIALIZABLE' = '#TRACEBACK'): Error {
  if (kind === '#UNSERIALIZABLE') return new RemoteError('RemoteError', `Unserializable message: ${text.trim()}`);
  const last = text.trim().split('\n').pop() ?? '';
  const match = /^([A-Za-z_][\w.]*)(?::\s?(.*))?$/.exec(last.trim());
  if (!match) return new RemoteError('RemoteError', text.trim());
  const name = (match[1] as string).split('.').pop() as string;
  return new RemoteError(name, match[2] ?? '');
}
