/**
 * A proxy to an object in a CPython manager, as CPython's AutoProxy: calls
 * are forwarded by name, limited to the `exposed` names the server sent. The
 * queue methods take our call shapes (`get({ block, timeout })`, timeouts in
 * seconds) and send Python's (`get(block, timeout)`); `queue.Empty` and
 * `queue.Full` come back as our `Empty` and `Full`, other Python exceptions
 * as `RemoteError` with the Python class name and message.
 */
import { MethodNotExposedError } from '../../shared/errors.js';
import type { CallOptions, PythonManagerClient, PythonResult } from './client.js';
import type { PyValue } from './pickle/index.js';

export interface ProxyBlockingOptions extends CallOptions {
  /** Wait for an item / for room (default true). */
  block?: boolean;
  /** Seconds to wait when blocking; null/undefined waits forever. */
  timeout?: number | null;
}

export class PythonProxy {
  readonly typeid: string;
  /** The object's id on the Python server (a hex string). */
  readonly ident: string;
  /** Method names the server lets us call. */
  readonly exposed: readonly string[];
  readonly #client: PythonManagerClient;
  #released = false;

  constructor(client: PythonManagerClient, typeid: string, ident: string, exposed: readonly string[]) {
    this.#client = client;
    this.typeid = typeid;
    this.ident = ident;
    this.exposed = exposed;
  }

  /** Calls any exposed method with Python positional and keyword arguments. */
  call(
    method: string,
    args: readonly PyValue[] = [],
    kwds: Record<string, PyValue> = {},
    options: CallOptions = {},
  ): Promise<PythonResult> {
    if (!this.exposed.includes(method)) {
      return Promise.reject(
        new MethodNotExposedError(
          `method ${JSON.stringify(method)} of ${JSON.stringify(this.typeid)} is not exposed (exposed: ${this.exposed.join(', ') || 'none'})`,
        ),
      );
    }
    return this.#client.callMethod(this.ident, method, args, kwds, options);
  }

  /** Python `get(block=True, timeout=None)`; rejects with `Empty` when nothing came. */
  get(options: ProxyBlockingOptions = {}): Promise<PyValue> {
    return this.call('get', [options.block ?? true, options.timeout ?? null], {}, options) as Promise<PyValue>;
  }

  /** Python `put(item, block=True, timeout=None)`; rejects with `Full` on a full bounded queue. */
  async put(item: PyValue, options: ProxyBlockingOptions = {}): Promise<void> {
    await this.call('put', [item, options.block ?? true, options.timeout ?? null], {}, options);
  }

  getNowait(): Promise<PyValue> {
    return this.call('get_nowait') as Promise<PyValue>;
  }

  async putNowait(item: PyValue): Promise<void> {
    await this.call('put_nowait', [item]);
  }

  qsize(): Promise<number> {
    return this.call('qsize') as Promise<number>;
  }

  empty(): Promise<boolean> {
    return this.call('empty') as Promise<boolean>;
  }

  full(): Promise<boolean> {
    return this.call('full') as Promise<boolean>;
  }

  async taskDone(): Promise<void> {
    await this.call('task_done');
  }

  async join(): Promise<void> {
    await this.call('join');
  }

  /** Drops this proxy's reference on the server (CPython does it when a proxy is garbage collected). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#client.forget(this);
    await this.#client.dispatch('decref', [this.ident]);
  }
}
