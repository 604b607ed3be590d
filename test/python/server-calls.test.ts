/**
 * PythonManagerServer's server-level calls, call shapes and dead-caller
 * handling, driven by our own PythonManagerClient (same wire as CPython's;
 * the CPython-driven tests are in server.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type PythonCallEvent,
  type PythonConnectionInfo,
  PythonManagerClient,
  PythonManagerServer,
  PythonProxy,
} from '../../node/python/index.js';
import { PyToken, PyTuple, type PyValue } from '../../node/python/pickle/index.js';
import { Empty, Full, RemoteError } from '../../shared/errors.js';
import { pythonParams } from '../../shared/python/call.js';
import { JoinableQueue, Queue } from '../../shared/queue/queue.js';
import type { Registry } from '../../shared/rpc/registry.js';

const HOST = '127.0.0.1';
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

class Counter {
  value = 0;
  add(n: number): number {
    this.value += n;
    return this.value;
  }
  /** Declares its Python signature below: keywords allowed, with a default. */
  scale(n: number, times: number): number {
    this.value += n * times;
    return this.value;
  }
  /** Takes any keywords, as one trailing object. */
  label(name: string, options: Record<string, unknown>): string {
    return `${name}:${Object.keys(options).join(',')}`;
  }
  sum(a: number | bigint, b: number | bigint): number | bigint {
    return (a as number) + (b as number);
  }
  boom(): never {
    throw new Error('boom');
  }
  child(): Counter {
    return new Counter();
  }
  fail(): never {
    throw new RangeError('out of range');
  }
  date(): Date {
    return new Date(0);
  }
}

pythonParams(Counter.prototype.scale, ['n', ['times', 1]]);
pythonParams(Counter.prototype.label, ['name', '**kwargs']);

async function setup(registry: Registry, onShutdownRequest?: () => void) {
  const warnings: string[] = [];
  const server = new PythonManagerServer(registry, {
    authkey: 'k',
    logger: { warn: (m) => warnings.push(m) },
    onShutdownRequest,
  });
  const { port } = await server.listen(0, HOST);
  const client = new PythonManagerClient({ host: HOST, port, authkey: 'k' });
  cleanups.push(
    () => server.close(),
    () => client.close(),
  );
  return { server, client, warnings };
}

describe('server-level calls', () => {
  it('create / incref / decref / get_methods / number_of_objects / debug_info, as CPython', async () => {
    const queue = new Queue<PyValue>();
    const { server, client } = await setup(new Map([['q', { callable: () => queue }]]));
    await client.connect();
    const a = await client.proxy('q');
    const b = await client.proxy('q');
    // Each create is its own ident (an alias of the same queue: one ident per proxy, so per client process).
    expect(b.ident).not.toBe(a.ident);
    expect(await client.dispatch('number_of_objects')).toBe(2);
    expect(await client.dispatch('debug_info')).toContain(`${a.ident}:       refcount=1`);
    await a.put('via a');
    expect(await b.get()).toBe('via a');
    // queue.Queue's own list, as CPython 3.13's AutoProxy exposes it (3.11 and 3.12 have no shutdown).
    expect(a.exposed).toEqual([
      'empty',
      'full',
      'get',
      'get_nowait',
      'join',
      'put',
      'put_nowait',
      'qsize',
      'shutdown',
      'task_done',
    ]);
    const methods = await client.dispatch('get_methods', [new PyToken('q', null, a.ident)]);
    expect(methods).toStrictEqual(new PyTuple(a.exposed));
    await client.dispatch('incref', [a.ident]);
    await client.dispatch('decref', [a.ident]);
    await a.release();
    await b.release();
    expect(server.objectCount).toBe(0);
    await expect(client.dispatch('decref', [a.ident])).rejects.toMatchObject({ name: 'KeyError' });
  });

  it('answers unknown calls and typeids with a short traceback', async () => {
    const { client } = await setup(new Map());
    const bogus = await client.dispatch('bogus').catch((e: unknown) => e);
    expect(bogus).toBeInstanceOf(RemoteError);
    expect(bogus).toMatchObject({ name: 'AssertionError', message: "'bogus' unrecognized" });
    // CPython: `self.registry[typeid]`, a KeyError naming the typeid.
    await expect(client.proxy('nope')).rejects.toMatchObject({ name: 'KeyError', message: "'nope'" });
    await expect(client.dispatch('dummy', [1])).rejects.toMatchObject({ name: 'TypeError' });
  });

  it('refuses remote shutdown unless the lead allows it', async () => {
    const refused = await setup(new Map());
    await expect(refused.client.shutdown()).rejects.toMatchObject({ name: 'PermissionError' });
    let asked = 0;
    const allowed = await setup(new Map(), () => asked++);
    await allowed.client.shutdown();
    expect(asked).toBe(1);
  });
});

describe('method calls', () => {
  it('maps Python queue call shapes (positional, keyword, nowait) and raises Empty/Full', async () => {
    const queue = new JoinableQueue<PyValue>(1);
    const { client } = await setup(new Map([['q', { callable: () => queue }]]));
    const q = await client.proxy('q');
    expect(q.exposed).toContain('task_done');
    await q.call('put', ['a'], { block: false });
    await expect(q.call('put', ['b', false])).rejects.toBeInstanceOf(Full);
    await expect(q.call('put', ['b'], { timeout: 0 })).rejects.toBeInstanceOf(Full);
    await expect(q.putNowait('b')).rejects.toBeInstanceOf(Full);
    expect(await q.full()).toBe(true);
    expect(await q.call('get', [true, 5])).toBe('a');
    await expect(q.call('get', [], { block: false, timeout: -1 })).rejects.toBeInstanceOf(Empty);
    await expect(q.call('get', [true, -1])).rejects.toMatchObject({ name: 'ValueError' });
    await expect(q.call('get', [], { blk: true })).rejects.toMatchObject({ name: 'TypeError' });
    await expect(q.call('get', [true], { block: true })).rejects.toMatchObject({ name: 'TypeError' });
    await expect(q.get({ timeout: 0.01 })).rejects.toBeInstanceOf(Empty);
    await q.taskDone();
    await q.join();
    expect(await q.qsize()).toBe(0);
    // A get blocked on one connection does not stall a put on another.
    const waiting = q.get();
    await q.put('woken');
    expect(await waiting).toBe('woken');
  });

  it('carries a large bytes item through put and get unchanged', async () => {
    const queue = new Queue<PyValue>();
    const { client } = await setup(new Map([['q', { callable: () => queue }]]));
    const q = await client.proxy('q');
    const big = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await q.put(big);
    expect(queue.qsize()).toBe(1);
    const back = await q.get();
    // Buffer comparison: a deep equality over 5 million elements takes vitest many seconds.
    expect(back).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(back as Uint8Array).equals(big)).toBe(true);
  });

  it('exposes other objects in snake_case, calls them as CPython would, and sends #PROXY for methodToTypeid', async () => {
    const counter = new Counter();
    const registry: Registry = new Map([
      [
        'counter',
        {
          callable: () => counter,
          exposed: ['add', 'scale', 'label', 'sum', 'boom', 'child', 'fail', 'date'],
          methodToTypeid: { child: 'Counter' },
        },
      ],
      ['Counter', { exposed: ['add'] }],
    ]);
    const { client, warnings } = await setup(registry);
    const c = await client.proxy('counter');
    expect(await c.call('add', [2])).toBe(2);
    // Keywords only where the method declares them (pythonParams), with CPython's TypeError texts otherwise.
    await expect(c.call('add', [], { n: 2 })).rejects.toMatchObject({
      name: 'TypeError',
      message: "Counter.add() got an unexpected keyword argument 'n'",
    });
    await expect(c.call('add')).rejects.toMatchObject({
      message: "Counter.add() missing 1 required positional argument: 'n'",
    });
    await expect(c.call('add', [1, 2])).rejects.toMatchObject({
      message: 'Counter.add() takes 2 positional arguments but 3 were given',
    });
    expect(await c.call('scale', [2], { times: 3 })).toBe(8);
    expect(await c.call('scale', [], { n: 1 })).toBe(9);
    await expect(c.call('scale', [1], { n: 1 })).rejects.toMatchObject({
      message: "Counter.scale() got multiple values for argument 'n'",
    });
    expect(await c.call('label', ['x'], { a: 1, b: 2 })).toBe('x:a,b');
    // Ints beyond 2**53 arrive as BigInt: the other int arguments of the call come as BigInt too.
    expect(await c.call('sum', [2n ** 60n, 1])).toBe(2n ** 60n + 1n);
    // A JS Error is Python's Exception with its message; RangeError is ValueError.
    await expect(c.call('boom')).rejects.toMatchObject({ name: 'Exception', message: 'boom' });
    await expect(c.call('fail')).rejects.toMatchObject({ name: 'ValueError', message: 'out of range' });
    // A result with no pickle form: CPython's #UNSERIALIZABLE, and one log line.
    await expect(c.call('date')).rejects.toMatchObject({ name: 'RemoteError' });
    expect(warnings).toHaveLength(1);
    const child = await c.call('child');
    expect(child).toBeInstanceOf(PythonProxy);
    expect(await (child as PythonProxy).call('add', [5])).toBe(5);
  });

  it('puts back an item whose get completed after its caller went away', async () => {
    let deliver: (item: PyValue) => void = () => {};
    const requeued: PyValue[] = [];
    // A queue whose get completes only when the test says so, ignoring the abort
    // signal: the race where the item arrives as the socket dies.
    const slowQueue = {
      get: () => new Promise<PyValue>((resolve) => (deliver = resolve)),
      put: async () => {},
      getNowait: () => null,
      putNowait: () => {},
      qsize: () => 0,
      requeue: (item: PyValue) => requeued.push(item),
    };
    const { server, client } = await setup(new Map([['q', { callable: () => slowQueue }]]));
    const q = await client.proxy('q');
    const started = new Promise<PythonCallEvent>((resolve) => server.once('call', resolve));
    const caller = new AbortController();
    const pending = q.get({ signal: caller.signal });
    const call = await started;
    const gone = new Promise<void>((resolve) =>
      server.on('connectionClose', (info: PythonConnectionInfo) => info.id === call.connection.id && resolve()),
    );
    caller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    await gone;
    deliver('task-1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(requeued).toEqual(['task-1']);
  });

  it('cancels a blocked get when its connection closes, leaving the item for the next caller', async () => {
    const queue = new Queue<PyValue>();
    const { server, client } = await setup(new Map([['q', { callable: () => queue }]]));
    const q = await client.proxy('q');
    const started = new Promise<PythonCallEvent>((resolve) => server.once('call', resolve));
    const caller = new AbortController();
    const pending = q.get({ signal: caller.signal });
    const call = await started;
    const gone = new Promise<void>((resolve) =>
      server.on('connectionClose', (info: PythonConnectionInfo) => info.id === call.connection.id && resolve()),
    );
    caller.abort();
    await pending.catch(() => {});
    await gone;
    await queue.put('next');
    expect(queue.qsize()).toBe(1);
    expect(await q.get()).toBe('next');
  });
});
