/**
 * Fail-over between the signaling servers of one cluster (an address listing
 * several for the same room). A peer uses the first that answers and keeps
 * it while it stays; when that server goes away, the next connection starts
 * with the one after it, so a dead server costs one refused (or timed-out)
 * attempt at most once per round. The delay between rounds is the caller's
 * backoff (a master's re-registration, a worker's search for its master).
 */
import { AddressInUseError, ConnectionClosedError, SignalingError } from '../errors.js';
import type { SignalingErrorCode } from './protocol.js';

/** Refusals that every node of a cluster would give alike: asking the next one cannot help. */
const CLUSTER_WIDE_REFUSALS: ReadonlySet<string> = new Set<SignalingErrorCode>([
  'ADDRESS_IN_USE',
  'DUPLICATE_ID',
  'ROOM_FULL',
  'TOO_MANY_ROOMS',
  'BAD_ROOM',
]);

export class SignalingServers {
  readonly urls: readonly string[];
  #first = 0;

  constructor(urls: readonly string[]) {
    if (urls.length === 0) throw new TypeError('at least one signaling server URL is needed');
    this.urls = [...urls];
  }

  /** The servers in the order to try them: the one in use (or after the last that failed), then the others. */
  order(): string[] {
    return this.urls.map((_, i) => this.urls[(this.#first + i) % this.urls.length] as string);
  }

  /** `url` answered: the next connection starts with it again. */
  answered(url: string): void {
    const index = this.urls.indexOf(url);
    if (index >= 0) this.#first = index;
  }

  /** `url` went away (or did not answer): the next connection starts with the server after it. */
  failed(url: string): void {
    const index = this.urls.indexOf(url);
    if (index >= 0 && index === this.#first) this.#first = (index + 1) % this.urls.length;
  }

  /**
   * Tries `connect` on each server in `order()` until one succeeds. A refusal that holds for the whole
   * cluster (ADDRESS_IN_USE...) ends the round at once; other failures move on to the next server. With one
   * server its error is thrown as is; with several, the first refusal, or else one error naming them all.
   */
  async connectFirst<T>(connect: (url: string) => Promise<T>): Promise<T> {
    const failures: Error[] = [];
    for (const url of this.order()) {
      try {
        const result = await connect(url);
        this.answered(url);
        return result;
      } catch (err) {
        if (isClusterWide(err)) throw err;
        this.failed(url);
        failures.push(err instanceof Error ? err : new Error(String(err)));
      }
    }
    if (failures.length === 1) throw failures[0];
    const refusal = failures.find((err) => err instanceof SignalingError);
    if (refusal) throw refusal;
    throw new ConnectionClosedError(
      `none of the ${failures.length} signaling servers answered: ${failures.map((err) => err.message).join('; ')}`,
      { cause: failures },
    );
  }
}

function isClusterWide(err: unknown): boolean {
  return err instanceof AddressInUseError || (err instanceof SignalingError && CLUSTER_WIDE_REFUSALS.has(err.code));
}
