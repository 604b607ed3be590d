/** The `Iterator` typeid a CPython DictProxy gets for `iter(d)`: over a snapshot of the keys. */

import { type PythonMethodTable, type PythonServed, pythonMethods } from '../python/call.js';
import { pyError } from '../python/exception.js';
import type { PyValue } from '../python/values.js';
import { methodTable } from './table.js';

export class SharedIterator implements PythonServed {
  readonly #items: readonly PyValue[];
  #at = 0;

  constructor(items: readonly PyValue[]) {
    this.#items = items;
  }

  /** The next item; StopIteration at the end (what ends a Python `for`). */
  next(): PyValue {
    if (this.#at >= this.#items.length) throw pyError('StopIteration');
    return this.#items[this.#at++] as PyValue;
  }

  [pythonMethods](): PythonMethodTable {
    const noGenerator = (name: string) => (): never => {
      throw pyError('AttributeError', `'dict_keyiterator' object has no attribute '${name}'`);
    };
    return methodTable('dict_keyiterator', ['__next__', 'send', 'throw', 'close'], {
      __next__: [[], () => this.next()],
      send: [['*args'], noGenerator('send')],
      throw: [['*args'], noGenerator('throw')],
      close: [['*args'], noGenerator('close')],
    });
  }
}
