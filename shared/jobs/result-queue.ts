/**
 * The job master's result queue: a plain Queue that also records which peer
 * put each result, so the results file can name the worker of every task.
 * Items are `{ value, peer }`; `value` is still unchecked network input.
 */
import { PUT_BATCH } from '../queue/batch.js';
import { Queue } from '../queue/queue.js';
import { type RemoteCallContext, remoteCall } from '../rpc/served.js';

export interface Received {
  /** What the worker put (to be checked with asJobOutcome). */
  value: unknown;
  /** The worker's peer id; undefined for a local put. */
  peer: string | undefined;
}

export class JobResultQueue extends Queue<Received> {
  override [remoteCall](method: string, args: unknown[], context: RemoteCallContext): Promise<unknown> {
    const stamp = (value: unknown): Received => ({ value, peer: context.peer });
    if (method === 'put' || method === 'putNowait')
      return super[remoteCall](method, [stamp(args[0]), ...args.slice(1)], context);
    if (method === PUT_BATCH && Array.isArray(args[0])) {
      return super[remoteCall](method, [args[0].map(stamp), ...args.slice(1)], context);
    }
    return super[remoteCall](method, args, context);
  }
}
