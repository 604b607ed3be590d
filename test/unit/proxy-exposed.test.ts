/**
 * Not-exposed methods: absent from the proxy's type, and a MethodNotExposedError
 * (not a TypeError) when called anyway, through a remote proxy (over an
 * in-memory link) and through the master's local one. `[proxyInfo]` is typed.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { MethodNotExposedError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/logger.js';
import { queueProxies } from '../../shared/queue/proxy.js';
import { Queue } from '../../shared/queue/queue.js';
import { localProxy, type ProxyInfo, type ProxyOf, proxyInfo, remoteProxy } from '../../shared/rpc/proxy.js';
import type { Registry } from '../../shared/rpc/registry.js';
import { authkeyBytes } from '../../shared/wire/auth.js';
import { Connection } from '../../shared/wire/connection.js';
import { memoryLinkPair } from '../support/memory-link.js';

class Counter {
  value = 0;
  add(n: number): number {
    this.value += n;
    return this.value;
  }
  secret(): string {
    return 'not for callers';
  }
}

/** What a registry entry names: only the exposed part of Counter. */
type ExposedCounter = Pick<Counter, 'add'>;

async function remoteCounter(): Promise<ProxyOf<ExposedCounter>> {
  const [a, b] = memoryLinkPair();
  const common = { logger: silentLogger, agent: 'test', heartbeatIntervalMs: 50, deadAfterMs: 1000 };
  const registry: Registry = new Map([['counter', { callable: () => new Counter(), exposed: ['add'] }]]);
  new Connection({ ...common, link: a, role: 'master', authkey: authkeyBytes('k'), registry, label: 'w' });
  const worker = new Connection({ ...common, link: b, role: 'worker', authkey: authkeyBytes('k'), label: 'm' });
  await worker.ready;
  const reference = await worker.rpc.create('counter', []);
  return remoteProxy<ExposedCounter>(worker.rpc, reference, queueProxies({ prefetch: 64, batchResults: true }));
}

describe('proxies of partly exposed objects', () => {
  it('types only the exposed methods and [proxyInfo]', () => {
    expectTypeOf<ProxyOf<ExposedCounter>>().toHaveProperty('add');
    expectTypeOf<ProxyOf<ExposedCounter>>().not.toHaveProperty('secret');
    expectTypeOf<ProxyOf<ExposedCounter>['add']>().toEqualTypeOf<(n: number) => Promise<number>>();
    expectTypeOf<ProxyOf<Queue<number>>[typeof proxyInfo]>().toEqualTypeOf<ProxyInfo>();
    // Fields are not methods: never on a proxy.
    expectTypeOf<ProxyOf<Counter>>().not.toHaveProperty('value');
  });

  it('a remote proxy calls exposed methods and rejects others with MethodNotExposedError', async () => {
    const counter = await remoteCounter();
    expect(await counter.add(2)).toBe(2);
    const dynamic = counter as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const call = dynamic.secret?.();
    await expect(call).rejects.toBeInstanceOf(MethodNotExposedError);
    await expect(dynamic.secret?.()).rejects.toThrow(/"secret" is not exposed by this proxy \(exposed: add\)/);
    expect(counter[proxyInfo].exposed).toEqual(['add']);
    // A proxy is not a thenable, and `in` tells what it offers.
    expect('then' in counter).toBe(false);
    expect((counter as unknown as { then?: unknown }).then).toBeUndefined();
    expect('secret' in counter).toBe(false);
    expect(await counter.add(3)).toBe(5);
  });

  it("the master's local proxy rejects the same way", async () => {
    const counter = localProxy<ExposedCounter>(new Counter(), ['add']);
    expect(await counter.add(1)).toBe(1);
    const dynamic = counter as unknown as Record<string, () => Promise<unknown>>;
    await expect(dynamic.secret?.()).rejects.toBeInstanceOf(MethodNotExposedError);
    expect(counter[proxyInfo].exposed).toEqual(['add']);
  });

  it('queue proxies keep their own methods and reject unknown ones', async () => {
    const queue = localProxy<Queue<number>>(new Queue<number>(), ['put', 'get', 'qsize']);
    await queue.put(4);
    expect(await queue.qsize()).toBe(1);
    const dynamic = queue as unknown as Record<string, () => Promise<unknown>>;
    await expect(dynamic.taskDone?.()).rejects.toBeInstanceOf(MethodNotExposedError);
  });
});
