/**
 * The public types, pinned: tsc checks these (npm test type-checks test/), so
 * a change that loosens or breaks what users write is caught. The runtime
 * assertions are trivial; the type assertions are the test.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  BaseManager,
  type ConnectTimeoutError,
  type ErrorCode,
  type JoinableQueue,
  type ProxyInfo,
  type ProxyOf,
  type Queue,
  type QueueEntry,
} from '../../node/index.js';
import type { Jobs } from '../../shared/example.js';

describe('public types', () => {
  it('ProxyOf<Queue<T>> offers the queue API, async and typed by T', () => {
    type Q = ProxyOf<Queue<number>>;
    expectTypeOf<Q['put']>().parameter(0).toEqualTypeOf<number>();
    expectTypeOf<ReturnType<Q['put']>>().toEqualTypeOf<Promise<void>>();
    expectTypeOf<ReturnType<Q['get']>>().toEqualTypeOf<Promise<number>>();
    expectTypeOf<ReturnType<Q['getNowait']>>().toEqualTypeOf<Promise<number>>();
    expectTypeOf<ReturnType<Q['qsize']>>().toEqualTypeOf<Promise<number>>();
    expectTypeOf<ReturnType<Q['getEntry']>>().toEqualTypeOf<Promise<QueueEntry<number>>>();
    expectTypeOf<Q>().toHaveProperty('taskDone');
    // Only methods: no fields, no getters' values, no private-looking names.
    expectTypeOf<Q>().not.toHaveProperty('maxsize');
    expectTypeOf<ProxyOf<JoinableQueue<string>>['get']>().returns.toEqualTypeOf<Promise<string>>();
  });

  it('BaseManager<R> has one getter per registered typeid, returning its proxy', () => {
    type M = BaseManager<Jobs>;
    expectTypeOf<M['get_task_queue']>().returns.toEqualTypeOf<Promise<ProxyOf<Queue<number>>>>();
    expectTypeOf<M['get_result_queue']>().returns.toEqualTypeOf<Promise<ProxyOf<Queue<string>>>>();
    expectTypeOf<M>().not.toHaveProperty('get_other_queue');
    expectTypeOf<M['connect']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<BaseManager<Jobs>['proxy']>().toBeFunction();
    expectTypeOf(BaseManager).toBeConstructibleWith({ address: 'ws://127.0.0.1:1/room', authkey: 'k' });
  });

  it('errors carry their codes in their types', () => {
    expectTypeOf<ConnectTimeoutError['code']>().toEqualTypeOf<
      'NO_MASTER' | 'ICE_FAILED' | 'LINK_TIMEOUT' | 'HANDSHAKE_TIMEOUT' | 'CONNECT_TIMEOUT'
    >();
    expectTypeOf<ConnectTimeoutError['code']>().toExtend<ErrorCode>();
    expectTypeOf<ProxyInfo['release']>().toEqualTypeOf<() => void>();
  });
});
