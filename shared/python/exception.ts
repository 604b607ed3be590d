/**
 * An error that is a Python exception: throw it from a served object and a
 * CPython caller gets exactly `exception` (class and args: `KeyError('k')`,
 * not a KeyError carrying the text "'k'"); JS callers get its class name and
 * Python's `str()` of it as name and message.
 */
import { PeerprocError } from '../errors.js';
import { PyException, type PyValue } from './values.js';

export class PythonException extends PeerprocError {
  readonly exception: PyException;

  constructor(exception: PyException) {
    super(exception.message);
    this.name = exception.name;
    this.exception = exception;
  }
}

/** `pyError('KeyError', key)`: a builtin exception with these args. */
export function pyError(name: string, ...args: PyValue[]): PythonException {
  return new PythonException(new PyException('builtins', name, args));
}
