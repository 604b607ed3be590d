/**
 * A JS object served to real CPython clients (an AutoProxy): keyword
 * arguments only where the method declares them (`pythonParams`), CPython's
 * own TypeError texts, big ints as BigInt, JS errors as Python exceptions.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PythonManagerServer } from '../../node/python/index.js';
import { pythonParams } from '../../shared/python/call.js';
import { FIXTURES, killAllPythons, pythonExecutables, spawnPython } from './helpers.js';

class Calc {
  add(a: number | bigint, b: number | bigint): number | bigint {
    return (a as number) + (b as number);
  }
  scale(n: number, times: number): number {
    return n * times;
  }
  boom(): never {
    throw new Error('boom');
  }
  outOfRange(): never {
    throw new RangeError('too far');
  }
}
pythonParams(Calc.prototype.scale, ['n', ['times', 10]]);

const servers: PythonManagerServer[] = [];
afterEach(async () => {
  killAllPythons();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe.each(pythonExecutables())('CPython $version calling a JS object', (py) => {
  it('gets CPython calling conventions and error texts', async () => {
    const server = new PythonManagerServer(new Map([['get_calc', { callable: () => new Calc() }]]), {
      authkey: 'abc',
      logger: { warn: () => {} },
    });
    servers.push(server);
    const { port } = await server.listen(0, '127.0.0.1');
    const run = spawnPython(py, join(FIXTURES, 'call_js.py'), ['127.0.0.1', String(port)]);
    expect(await run.exited, run.stderr()).toBe(0);
    expect(run.stdout().trimEnd().split('\n')).toEqual([
      'add -> 3',
      "add keywords !! TypeError: Calc.add() got an unexpected keyword argument 'a'",
      "add missing !! TypeError: Calc.add() missing 1 required positional argument: 'b'",
      'add too many !! TypeError: Calc.add() takes 3 positional arguments but 4 were given',
      'scale keywords -> 6',
      'scale default -> 50',
      'big ints -> 1152921504606846977',
      'js error !! Exception: boom',
      'js range error !! ValueError: too far',
    ]);
  });
});
