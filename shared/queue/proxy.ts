/**
 * The proxy of a remote queue, built for throughput without changing the
 * seed's worker loop (`get`, compute, `put`):
 *
 * - Prefetch: `get()` asks for a batch of items at once (a window that starts
 *   at 1, doubles while the queue has plenty, up to `prefetch`, and never holds
 *   more than PREFETCH_HORIZON_MS of this worker's measured work: see
 *   prefetch-window.ts) and serves the next `get()`s locally; once half the
 *   buffer is used it asks for the next batch in the background, so the worker
 *   never waits a round trip while there is work. Prefetched items are leased
 *   like any other: if this worker dies, they are redelivered.
 * - Write-behind: on an unbounded queue, `put()` resolves at once and results
 *   travel in batches (flushed before any other call, when a batch is full,
 *   and within a millisecond otherwise). Each result still acknowledges its
 *   task on arrival, so a result lost with a dying worker leaves its task
 *   unacknowledged, and it is redelivered. Bounded queues are never written
 *   behind: their `put()` waits for room, as backpressure must.
 */

import { ConnectionClosedError } from '../errors.js';
import type { ObjectReference, RpcEndpoint } from '../rpc/endpoint.js';
import { type ProxyInfo, type ProxyOf, type ProxySpecializer, proxyInfo } from '../rpc/proxy.js';
import { GET_BATCH, MAX_BATCH, PUT_BATCH } from './batch.js';
import { checkTimeout } from './checks.js';
import { PrefetchWindow } from './prefetch-window.js';
import type { Queue } from './queue.js';
import type { BlockingOptions } from './types.js';

export interface QueueProxyOptions {
  /** Most items fetched ahead per request; 1 turns prefetch off (default 512). */
  prefetch: number;
  /** Send results of unbounded queues in batches (default true). */
  batchResults: boolean;
}

/** Results held before a batch is sent regardless of the timer. */
const PUT_BATCH_SIZE = 512;
/** Longest a written-behind result waits for company before it is sent. */
const PUT_FLUSH_DELAY_MS = 1;

export function queueProxy<T>(
  base: Record<string | symbol, unknown>,
  rpc: RpcEndpoint,
  objectId: number,
  bounded: boolean,
  options: QueueProxyOptions,
): ProxyOf<Queue<T>> {
  const buffer: T[] = [];
  let head = 0;
  let pending: T[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** A failed batch of results, or the proxy's release: every later call reports it instead of carrying on. */
  let failure: Error | undefined;

  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    while (pending.length > 0) {
      const batch = pending.length <= MAX_BATCH ? pending : pending.slice(0, MAX_BATCH);
      pending = pending.length <= MAX_BATCH ? [] : pending.slice(MAX_BATCH);
      try {
        rpc.cast(objectId, PUT_BATCH, [batch]);
      } catch (err) {
        failure ??= err as Error;
      }
    }
  };
  const removeFlushHook = rpc.addFlushHook(flush);

  const takeBuffered = (): T => {
    const item = buffer[head];
    buffer[head++] = undefined as T;
    if (head === buffer.length) {
      buffer.length = 0;
      head = 0;
    }
    return item;
  };

  const fetchWindow = new PrefetchWindow(Math.min(options.prefetch, MAX_BATCH));
  /** A non-blocking fetch sent while the buffer still holds items, so the next batch is here before it runs dry. */
  let readAhead: Promise<void> | undefined;
  const buffered = (): number => buffer.length - head;

  /** Fetches up to a window of items into the buffer; returns how many came. */
  const refill = async (blocking: BlockingOptions): Promise<number> => {
    const asked = fetchWindow.size;
    let items: T[];
    try {
      items = (await rpc.call(objectId, GET_BATCH, [asked, blocking])) as T[];
    } catch (err) {
      fetchWindow.reset();
      throw err;
    }
    fetchWindow.supplied(asked, items.length);
    for (const item of items) buffer.push(item);
    return items.length;
  };

  const maybeReadAhead = (): void => {
    const size = fetchWindow.size;
    if (readAhead || size < 2 || buffered() * 2 > size || failure || rpc.closedWith) return;
    readAhead = refill({ block: false }).then(
      () => {
        readAhead = undefined;
      },
      () => {
        // Empty (nothing to read ahead) or a closed connection: the next get() finds out for itself.
        readAhead = undefined;
      },
    );
  };

  const get = async (blocking: BlockingOptions): Promise<T> => {
    if (failure) throw failure;
    if (buffered() === 0 && readAhead) await readAhead;
    if (buffered() === 0) await refill(blocking);
    const item = takeBuffered();
    fetchWindow.handedOut(performance.now());
    maybeReadAhead();
    return item;
  };

  const proxy = { ...base };
  proxy.get = (opts: BlockingOptions = {}): Promise<T> => {
    // Checked here too: the buffered path below never reaches the queue, which would refuse it.
    checkTimeout(opts.timeout);
    const now = performance.now();
    fetchWindow.asked(now);
    failure ??= rpc.castFailure;
    // The common case, an item already here, resolves without an async function's overhead.
    if (!failure && buffered() > 0) {
      const item = takeBuffered();
      fetchWindow.handedOut(now);
      maybeReadAhead();
      return Promise.resolve(item);
    }
    return get({ block: opts.block, timeout: opts.timeout });
  };
  proxy.getNowait = (): Promise<T> => get({ block: false });
  if (options.batchResults && !bounded) {
    proxy.put = (item: T, opts: BlockingOptions = {}): Promise<void> => {
      // An unbounded queue never waits, so a timeout has no effect, but a bad one is refused as the queue would.
      checkTimeout(opts.timeout);
      failure ??= rpc.castFailure;
      if (failure) return Promise.reject(failure);
      if (rpc.closedWith) return Promise.reject(rpc.closedWith);
      pending.push(item);
      if (pending.length >= PUT_BATCH_SIZE) flush();
      else timer ??= setTimeout(flush, PUT_FLUSH_DELAY_MS);
      return Promise.resolve();
    };
    proxy.putNowait = (item: T): Promise<void> => (proxy.put as (item: T) => Promise<void>)(item);
  }
  const info = base[proxyInfo] as ProxyInfo;
  const released: ProxyInfo = {
    exposed: info.exposed,
    release: () => {
      // Results written behind still leave (before the release, in order); then this proxy stops listening.
      flush();
      removeFlushHook();
      failure ??= new ConnectionClosedError('PROXY_RELEASED', 'proxy was released');
      info.release();
    },
  };
  proxy[proxyInfo] = released;
  return proxy as ProxyOf<Queue<T>>;
}

/**
 * The choice of a queue proxy: objects whose reference announces
 * `features.queue` (see Queue's `[remoteFeatures]`) get prefetch and
 * write-behind; anything else keeps its plain proxy.
 */
export function queueProxies(options: QueueProxyOptions): ProxySpecializer {
  return (base, rpc, { objectId, features }: ObjectReference) => {
    const queue = features.queue as { bounded?: unknown } | undefined;
    if (!queue || typeof queue !== 'object') return base;
    return queueProxy(base, rpc, objectId, queue.bounded === true, options);
  };
}
