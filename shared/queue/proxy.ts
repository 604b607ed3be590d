/**
 * The proxy of a remote queue, built for throughput without changing the
 * seed's worker loop (`get`, compute, `put`):
 *
 * - Prefetch: `get()` asks for a batch of items at once (a window that starts
 *   at 1, grows while the queue has plenty (doubling, or to this worker's share
 *   of the queue, which the master may also apply to this very request when
 *   its queue has grown since: `upTo`), up to `prefetch`, and never holds more than
 *   PREFETCH_HORIZON_MS of this worker's measured work: see
 *   prefetch-window.ts) and serves the next `get()`s locally; once half the
 *   buffer is used, or earlier when the queue has plenty and what is left
 *   would be used up within two round trips (a fast consumer), it asks for
 *   the next batch in the background, so the worker never waits a round trip
 *   while there is work (unless the last batch left the queue empty: then the
 *   next get asks, instead of a read-ahead that would bring back Empty). A
 *   read-ahead waits at the queue as the get that started it would (its
 *   timeout, when it has one): a queue emptied by other workers then costs no
 *   Empty answer and no second request, one message each way per worker at
 *   the end of every run. A get that finds the buffer empty waits for that
 *   read-ahead's answer (then, if it was Empty, asks for what is left of its
 *   own timeout: Empty comes only from the queue); a non-blocking get asks
 *   beside it. Prefetched items are leased like any other: if this worker
 *   dies, they are redelivered.
 * - Write-behind: on an unbounded queue, `put()` resolves at once and results
 *   travel in batches (flushed before any other call, when a batch is full,
 *   and within a millisecond otherwise). Each result still acknowledges its
 *   task on arrival, so a result lost with a dying worker leaves its task
 *   unacknowledged, and it is redelivered. Bounded queues are never written
 *   behind: their `put()` waits for room, as backpressure must.
 */

import { ConnectionClosedError, Empty, ProtocolError } from '../errors.js';
import type { ObjectReference, RpcEndpoint } from '../rpc/endpoint.js';
import { type ProxyInfo, type ProxyOf, type ProxySpecializer, proxyInfo } from '../rpc/proxy.js';
import { GET_BATCH, type GetBatchReply, MAX_BATCH, PUT_BATCH } from './batch.js';
import { checkTimeout } from './checks.js';
import { PrefetchWindow } from './prefetch-window.js';
import type { Queue } from './queue.js';
import type { BlockingOptions } from './types.js';

export interface QueueProxyOptions {
  /** Most items fetched ahead per request; 1 turns prefetch off (default DEFAULT_PREFETCH, 1024). */
  prefetch: number;
  /** Send results of unbounded queues in batches (default true). */
  batchResults: boolean;
}

/** Results held before a batch is sent regardless of the timer: as many as one batch call may carry (fewer, fuller frames). */
const PUT_BATCH_SIZE = MAX_BATCH;
/** Longest a written-behind result waits for company before it is sent. */
const PUT_FLUSH_DELAY_MS = 1;

/** Written-behind results: held briefly, then sent as one cast per batch, in order. */
class ResultWriter<T> {
  #pending: T[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly rpc: RpcEndpoint,
    private readonly objectId: number,
    /** Where a batch that cannot be sent is reported (every later call fails with it). */
    private readonly onFailure: (err: Error) => void,
  ) {}

  add(item: T): void {
    this.#pending.push(item);
    if (this.#pending.length >= PUT_BATCH_SIZE) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), PUT_FLUSH_DELAY_MS);
  }

  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, MAX_BATCH);
      try {
        this.rpc.cast(this.objectId, PUT_BATCH, [batch]);
      } catch (err) {
        this.onFailure(err as Error);
      }
    }
  }
}

/** A batch asked for while the buffer still holds items, so the next one is here before it runs dry. */
interface ReadAhead {
  /** Settles once the answer is in; never rejects (a failed read-ahead leaves the next get to ask itself). */
  readonly done: Promise<void>;
  /** Sent with a timeout, so it may wait at the queue instead of being answered at once. */
  readonly waits: boolean;
}

/** Prefetched items: a window of them per request, and a read-ahead before the buffer runs dry. */
class PrefetchingReader<T> {
  readonly #buffer: T[] = [];
  #head = 0;
  readonly #window: PrefetchWindow;
  #readAhead: ReadAhead | undefined;
  constructor(
    private readonly rpc: RpcEndpoint,
    private readonly objectId: number,
    prefetch: number,
    /** Whether fetching should stop (a failed batch of results, a released proxy). */
    private readonly failed: () => boolean,
  ) {
    this.#window = new PrefetchWindow(Math.min(prefetch, MAX_BATCH));
  }

  get buffered(): number {
    return this.#buffer.length - this.#head;
  }

  /**
   * The consumer asks for an item (the time since the last one measures its
   * pace). Returns the clock's reading, or undefined on the gets the pace is
   * not measured on (PrefetchWindow.beginGet): reading it costs more than the
   * rest of a buffered get.
   */
  beginGet(): number | undefined {
    if (!this.#window.beginGet()) return undefined;
    const now = performance.now();
    this.#window.asked(now);
    return now;
  }

  /** The next buffered item, which must be there; `blocking` is the get's, which a read-ahead it starts takes over. */
  take(now: number | undefined, blocking: BlockingOptions): T {
    const item = this.#buffer[this.#head];
    this.#buffer[this.#head++] = undefined as T;
    if (this.#head === this.#buffer.length) {
      this.#buffer.length = 0;
      this.#head = 0;
    }
    if (now !== undefined) this.#window.handedOut(now);
    this.#maybeReadAhead(blocking);
    return item;
  }

  /** Waits for an item (per `blocking`) when none is buffered. */
  async fetch(blocking: BlockingOptions): Promise<T> {
    const deadline = deadlineOf(blocking, performance.now());
    const ahead = this.#readAhead;
    // A get waits for the read-ahead's answer rather than sending a second request beside it: a worker
    // waiting at the queue while items it already took are still on their way to it would hold them out of
    // every other worker's reach (an Empty waits for items in flight), and each would wait for the others.
    // Only a non-blocking get asks beside it, which the queue answers at once.
    if (this.buffered === 0 && ahead && !(ahead.waits && blocking.block === false)) await ahead.done;
    if (this.buffered === 0) {
      try {
        // What is left of this get's timeout (the read-ahead came back empty, having used some of it). Empty
        // comes only from the queue, never from this side's clock: a silent master is not an empty queue.
        await this.#refill(optionsUntil(blocking, deadline));
      } catch (err) {
        // The read-ahead's items came while the queue answered this non-blocking get: they are this get's.
        if (!(err instanceof Empty) || this.buffered === 0) throw err;
      }
    }
    return this.take(performance.now(), blocking);
  }

  /**
   * Fetches a window of items into the buffer, or up to the pace's limit when the master's queue now holds
   * more for this worker than its last answer said (a master that does not know `upTo` sends at most `asked`).
   */
  async #refill(blocking: BlockingOptions): Promise<void> {
    const asked = this.#window.size;
    const upTo = this.#window.paceLimit;
    const sent = performance.now();
    let reply: GetBatchReply<T>;
    try {
      reply = (await this.rpc.call(this.objectId, GET_BATCH, [asked, blocking, upTo])) as GetBatchReply<T>;
    } catch (err) {
      // A read-ahead that finds the queue empty says nothing about what is coming (a master between slices of
      // its put loop leaves it empty for a moment): the window keeps its size. A get that waited its whole
      // timeout, or a failed request, starts it small again.
      if (!(err instanceof Empty && blocking.block === false)) this.#window.reset();
      throw err;
    }
    const items = reply?.items;
    if (!Array.isArray(items) || items.length > upTo) {
      this.#window.reset();
      throw new ProtocolError(
        `malformed ${GET_BATCH} answer from the queue's owner: expected {items, share} with at most ${upTo} items`,
      );
    }
    // The share only sizes the next request and times the read-ahead: anything but a count is ignored.
    const share = Number.isSafeInteger(reply.share) ? reply.share : 0;
    this.#window.supplied(asked, items.length, share, performance.now() - sent);
    for (const item of items) this.#buffer.push(item);
  }

  #maybeReadAhead(blocking: BlockingOptions): void {
    if (this.#readAhead || !this.#window.readAheadDue(this.buffered)) return;
    if (this.failed() || this.rpc.closedWith) return;
    // It waits as long as the get that started it would have, and only when that is bounded: one waiting
    // forever would take an item put an hour later into the buffer of a worker that may never ask again.
    const waits = blocking.block !== false && typeof blocking.timeout === 'number';
    // Empty (nothing came within the timeout) or a closed connection: the next get() finds out for itself.
    const done = () => {
      this.#readAhead = undefined;
    };
    const options: BlockingOptions = waits ? { timeout: blocking.timeout } : { block: false };
    this.#readAhead = { done: this.#refill(options).then(done, done), waits };
  }
}

/** When a get given `blocking` at `now` gives up, in performance.now() ms: now, some time later, or never. */
function deadlineOf(blocking: BlockingOptions, now: number): number {
  if (blocking.block === false) return now;
  return typeof blocking.timeout === 'number' ? now + blocking.timeout * 1000 : Number.POSITIVE_INFINITY;
}

/** The blocking options for what is left until `deadline`. */
function optionsUntil(blocking: BlockingOptions, deadline: number): BlockingOptions {
  if (blocking.block === false) return { block: false };
  if (deadline === Number.POSITIVE_INFINITY) return { block: blocking.block, timeout: blocking.timeout };
  return { timeout: Math.max(0, deadline - performance.now()) / 1000 };
}

export function queueProxy<T>(
  base: Record<string | symbol, unknown>,
  rpc: RpcEndpoint,
  objectId: number,
  bounded: boolean,
  options: QueueProxyOptions,
): ProxyOf<Queue<T>> {
  /** A failed batch of results, or the proxy's release: every later call reports it instead of carrying on. */
  let failure: Error | undefined;
  const failed = (): Error | undefined => {
    failure ??= rpc.castFailure;
    return failure;
  };
  const writer = new ResultWriter<T>(rpc, objectId, (err) => {
    failure ??= err;
  });
  const removeFlushHook = rpc.addFlushHook(() => writer.flush());
  const reader = new PrefetchingReader<T>(rpc, objectId, options.prefetch, () => failure !== undefined);

  const proxy = { ...base };
  proxy.get = (opts: BlockingOptions = {}): Promise<T> => {
    // Checked here too: the buffered path below never reaches the queue, which would refuse it.
    checkTimeout(opts.timeout);
    const now = reader.beginGet();
    const err = failed();
    if (err) return Promise.reject(err);
    // The common case, an item already here, resolves without an async function's overhead (or a copy of
    // the options: the reader reads only their block and timeout, and sends options of its own).
    if (reader.buffered > 0) return Promise.resolve(reader.take(now, opts));
    return reader.fetch(opts);
  };
  proxy.getNowait = (): Promise<T> => {
    const err = failed();
    return err ? Promise.reject(err) : reader.fetch({ block: false });
  };
  if (options.batchResults && !bounded) {
    proxy.put = (item: T, opts: BlockingOptions = {}): Promise<void> => {
      // An unbounded queue never waits, so a timeout has no effect, but a bad one is refused as the queue would.
      checkTimeout(opts.timeout);
      const err = failed() ?? rpc.closedWith;
      if (err) return Promise.reject(err);
      writer.add(item);
      return Promise.resolve();
    };
    proxy.putNowait = (item: T): Promise<void> => (proxy.put as (item: T) => Promise<void>)(item);
  }
  const info = base[proxyInfo] as ProxyInfo;
  const released: ProxyInfo = {
    exposed: info.exposed,
    release: () => {
      // Results written behind still leave (before the release, in order); then this proxy stops listening.
      writer.flush();
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
