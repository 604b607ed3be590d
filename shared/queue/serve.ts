/**
 * Serving a queue to remote peers: what a peer's call does beyond the Python
 * semantics of queue.ts. Blocking waits end when the caller's connection
 * does; every item a peer takes is leased to it (leases.ts) until a put from
 * that peer answers it; and the batch calls of the queue proxy (batch.ts)
 * move many items per message.
 */
import { ConnectionClosedError, Full, ShutDown } from '../errors.js';
import type { RemoteCallContext } from '../rpc/served.js';
import { GET_BATCH, type GetBatchReply, MAX_BATCH, PUT_BATCH } from './batch.js';
import { checkInteger, checkTimeout } from './checks.js';
import { newEntry, type QueueEntry } from './entries.js';
import { afterThisTurn } from './event-loop-turns.js';
import type { LeaseLedger, LeaseOwner } from './leases.js';
import type { AbortLike, BlockingOptions } from './types.js';

/** Methods served besides the exposed ones: the queue proxy's batch protocol. */
export const SERVED_INTERNALS = [GET_BATCH, PUT_BATCH] as const;

/** For a remote getter: whether its Empty must wait for items in flight, and whether its peer is alive. */
export interface RemoteGetter {
  hold: () => boolean;
  heardFrom?: () => boolean;
  /** Who is waiting: one identity per calling peer (its lease ledger), so a peer's concurrent gets count once. */
  caller?: object;
}

/** The insides of a queue that serving needs; queue.ts hands them over, they are not public. */
export interface QueueInsides<T> {
  /** Items queued now. */
  readonly queued: number;
  /** Items delivered to peers and neither acknowledged nor returned. */
  readonly inFlight: number;
  /** Counts one more item as delivered to a peer. */
  delivered(): void;
  get(options: BlockingOptions, remote: RemoteGetter): Promise<QueueEntry<T>>;
  /** The oldest item, which must be there (admits a waiting putter). */
  take(): QueueEntry<T>;
  takeNowait(): QueueEntry<T>;
  /** Puts an item back at the head (or hands it to a waiting getter). */
  unshift(entry: QueueEntry<T>): void;
  /** Adds an item if there is room (or a waiting getter); false when full. */
  offer(entry: QueueEntry<T>): boolean;
  put(entry: QueueEntry<T>, options: BlockingOptions): Promise<void>;
}

/** The public side of the served queue. */
export interface ServedQueue extends LeaseOwner {
  readonly maxsize: number;
  /** Python 3.13's shutdown(): puts are refused. */
  readonly isShutdown: boolean;
  readonly leaseTimeout: number | null;
  taskDone(): void;
}

/** A batch stands for the user's calls it carries: `__putBatch([a, b, c])` is three `put`s. */
export function tallyQueueCall(method: string, args: unknown[], result: unknown): [string, number] {
  if (method === GET_BATCH) return ['get', (result as GetBatchReply<unknown> | undefined)?.items?.length ?? 0];
  if (method === PUT_BATCH) return ['put', Array.isArray(args[0]) ? args[0].length : 0];
  return [method, 1];
}

export class QueueService<T> {
  /** The peers that have got from this queue, each until its connection closes: what a share divides by. */
  readonly #consumers = new Set<LeaseLedger>();

  constructor(
    private readonly queue: ServedQueue,
    private readonly insides: QueueInsides<T>,
  ) {}

  /**
   * Calls from a remote peer: blocking waits end when its connection does,
   * items it takes are leased to it, and its puts acknowledge its oldest lease.
   */
  async call(method: string, args: unknown[], context: RemoteCallContext): Promise<unknown> {
    const { signal, ledger } = context;
    const { queue, insides } = this;
    switch (method) {
      case 'get':
        return this.#deliver(await insides.get(withSignal(args[0], signal), this.#getter(context)), context).value;
      case 'getNowait':
        return this.#deliver(insides.takeNowait(), context).value;
      case 'getEntry':
        return { ...this.#deliver(await insides.get(withSignal(args[0], signal), this.#getter(context)), context) };
      case 'put':
      case 'putEntry': // a peer's put always answers its oldest lease; the entry stays on this side
        return this.#answer(args[0] as T, withSignal(args[1], signal), ledger);
      case 'putNowait':
        return this.#answer(args[0] as T, { block: false }, ledger);
      case 'taskDone':
        ledger.ackOldestOf(queue);
        return queue.taskDone();
      case 'extendLease':
        return ledger.extend(queue, checkTimeout((args[0] as number | undefined) ?? queue.leaseTimeout ?? 0) ?? 0);
      case GET_BATCH:
        return this.#getBatch(args[0], withSignal(args[1], signal), context, this.#getter(context), args[2]);
      case PUT_BATCH:
        return this.#putBatch(args[0], ledger);
      default:
        return (queue as unknown as Record<string, (...a: unknown[]) => unknown>)[method](...args);
    }
  }

  /**
   * The caller as a waiting getter: its Empty waits while other peers hold items that may still come back.
   * Made only for gets (puts, the hot path of results, need none).
   */
  #getter(context: RemoteCallContext): RemoteGetter {
    const { queue, insides } = this;
    return {
      hold: () => insides.inFlight - context.ledger.countOf(queue) > 0,
      heardFrom: context.heardFrom,
      caller: context.ledger,
    };
  }

  /** Leases an entry to the caller, or puts it back if the caller is already gone. */
  #deliver(
    entry: QueueEntry<T>,
    context: RemoteCallContext,
    // Asked once per call, not per item: a batch is one moment of the peer's liveness.
    counted = countsDelivery(context),
  ): QueueEntry<T> {
    if (context.signal.aborted) {
      this.insides.unshift(entry);
      throw new ConnectionClosedError('CALLER_GONE', 'the caller disconnected before receiving the item');
    }
    // Sent to a peer that has gone silent (probably dead): if it never comes back, that is no fault of the item's.
    if (counted) entry.deliveries++;
    this.insides.delivered();
    context.ledger.add(this.queue, entry);
    return entry;
  }

  /** A put from a peer answers (acknowledges) its oldest lease, once the item is in. */
  async #answer(value: T, options: BlockingOptions, ledger: LeaseLedger): Promise<void> {
    const answered = ledger.takeOldest();
    try {
      await this.insides.put(newEntry(value, answered?.entry.id), options);
    } catch (err) {
      if (answered) ledger.restore(answered);
      throw err;
    }
    if (answered) ledger.acknowledge(answered);
  }

  /**
   * Up to `max` items: waits (per options) for the first, then takes what is there; with the caller's share.
   * A caller that also sends `upTo` (at least `max`: what it may hold by its own pace) gets up to its share
   * of the queue as the queue is now, within `upTo`, when that is more than `max`: it sized `max` by the share
   * the last answer reported, which a master still putting has outgrown since (with 500 workers, a third of
   * the answers were such undersized second batches).
   */
  async #getBatch(
    max: unknown,
    options: BlockingOptions,
    context: RemoteCallContext,
    remote: RemoteGetter,
    upTo?: unknown,
  ): Promise<GetBatchReply<T>> {
    const limit = checkInteger('max', max, 1);
    const most = upTo === undefined ? limit : checkInteger('upTo', upTo, limit);
    const { insides } = this;
    this.#countConsumer(context);
    const waited = insides.queued === 0;
    const entries = [await insides.get(options, remote)];
    // Woken by a put: whoever put is likely putting more (a master's put loop hands each waiter one item
    // as it goes), so the rest of the batch is gathered, and the share counted, once that run has yielded:
    // not one item now, with a share of an empty queue (a first get asks for one item, and its share sizes
    // the next).
    if (waited) await afterThisTurn();
    const share = this.#shareOf(insides.queued + entries.length);
    const wanted = Math.min(MAX_BATCH, Math.max(limit, Math.min(most, share)));
    while (entries.length < wanted && insides.queued > 0) entries.push(insides.take());
    if (context.signal.aborted) {
      // The caller left while we waited: every item taken goes back, in order.
      for (let i = entries.length - 1; i >= 0; i--) insides.unshift(entries[i]);
      throw new ConnectionClosedError('CALLER_GONE', 'the caller disconnected before receiving the items');
    }
    const values: T[] = [];
    const counted = countsDelivery(context);
    for (const entry of entries) values.push(this.#deliver(entry, context, counted).value);
    return { items: values, share: this.#shareOf(insides.queued) };
  }

  /** One consumer's part of `items`: divided among the peers getting from this queue. */
  #shareOf(items: number): number {
    return Math.ceil(items / Math.max(1, this.#consumers.size));
  }

  /** Counts the caller among this queue's consumers until its connection closes. */
  #countConsumer({ ledger, signal }: RemoteCallContext): void {
    if (this.#consumers.has(ledger) || signal.aborted) return;
    this.#consumers.add(ledger);
    signal.addEventListener('abort', () => this.#consumers.delete(ledger));
  }

  /**
   * Results written behind by a proxy (unbounded queues only): each answers
   * one lease, in order. Proxies never write behind to a bounded queue, but
   * any peer can send this call: a batch that does not fit is refused whole.
   */
  #putBatch(values: unknown, ledger: LeaseLedger): void {
    if (!Array.isArray(values) || values.length > MAX_BATCH) {
      throw new TypeError(`${PUT_BATCH} takes an array of at most ${MAX_BATCH} items`);
    }
    if (this.queue.isShutdown) throw new ShutDown();
    const { maxsize } = this.queue;
    const { queued } = this.insides;
    if (maxsize > 0 && queued + values.length > maxsize) {
      throw new Full(`a batch of ${values.length} does not fit a queue of maxsize ${maxsize} holding ${queued}`);
    }
    for (const value of values) {
      const answered = ledger.takeOldest();
      this.insides.offer(newEntry(value as T, answered?.entry.id));
      if (answered) ledger.acknowledge(answered);
    }
  }
}

/** Whether a delivery to the caller now counts against `maxDeliveries` (see RemoteCallContext.heardLately). */
function countsDelivery(context: RemoteCallContext): boolean {
  return context.heardLately?.() !== false;
}

/** A peer's blocking options, with the signal of its connection (a peer cannot pass its own). */
function withSignal(options: unknown, signal: AbortLike): BlockingOptions {
  const o = typeof options === 'object' && options !== null ? (options as BlockingOptions) : {};
  return { block: o.block, timeout: o.timeout, signal };
}
