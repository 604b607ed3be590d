/**
 * The errors a CPython manager server raises where ours must say the same:
 * an unknown typeid (`KeyError: 'dict'`, from `self.registry[typeid]`) and a
 * method outside `exposed` (CPython raises AttributeError, then fails to
 * find a fallback for it: its traceback ends in `KeyError: 'name'`).
 */

import { hasPythonMethods, pythonMethods } from '../../shared/python/call.js';
import { Queue } from '../../shared/queue/queue.js';
import { PyException } from './pickle/index.js';
import { PythonException } from './wire/index.js';

const NO_STACK = '  [stack not sent by the peerproc manager]';

/** CPython's `create` of a typeid nobody registered. */
export function unknownTypeid(typeid: string): PythonException {
  return new PythonException(new PyException('builtins', 'KeyError', [typeid]));
}

/** What `type(obj)` would print in CPython for a served object: `queue.Queue` for our queues. */
export function pythonClassName(obj: object): string {
  if (hasPythonMethods(obj)) return obj[pythonMethods]().className;
  if (obj instanceof Queue) return 'queue.Queue';
  return obj.constructor?.name ?? 'object';
}

function pyStrRepr(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The `#TRACEBACK` text of a call to a method that is not exposed, shaped as CPython's. */
export function exposureError(method: string, obj: object, exposed: readonly string[]): string {
  const names = exposed.length === 0 ? 'set()' : `{${exposed.map(pyStrRepr).join(', ')}}`;
  return [
    'Traceback (most recent call last):',
    NO_STACK,
    `AttributeError: method ${pyStrRepr(method)} of <class ${pyStrRepr(pythonClassName(obj))}> object is not in exposed=${names}`,
    '',
    'During handling of the above exception, another exception occurred:',
    '',
    'Traceback (most recent call last):',
    NO_STACK,
    `KeyError: ${pyStrRepr(method)}`,
    '',
  ].join('\n');
}
