/**
 * Connects to a real CPython manager (e.g. the classic task_master.py) as
 * CPython's `BaseManager.connect()` and proxies do: every server-level call
 * (`dummy`, `create`, `decref`...) on a fresh authenticated connection, and
 * method calls on long-lived `accept_connection` connections. CPython keeps
 * one such connection per thread; we keep a pool, so concurrent calls (a
 * blocking `get` beside a `put`) each have their own, one call at a time.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { ConnectionClosedError, ConnectTimeoutError, ProtocolError } from '../../shared/errors.js';
import { FramedSocket } from './framed-socket.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, toAuthkey } from './options.js';
import { PyTuple, type PyValue, type UnpickleOptions } from './pickle/index.js';
import { PythonProxy } from './proxy.js';
import {
  type ChallengeForm,
  clientHandshake,
  decodeReply,
  encodeRequest,
  fromPythonException,
  fromTraceback,
  type Reply,
} from './wire/index.js';

export interface PythonManagerClientOptions {
  /** The CPython manager's address (CPython `address=(host, port)`). */
  host: string;
  port: number;
  /** The manager's authkey (a string is taken as UTF-8). */
  authkey: Uint8Array | string;
  /** Largest reply frame accepted (default 256 MiB). */
  maxFrameBytes?: number;
  /** Bounds for decoding replies (see node/python/pickle/limits.ts). */
  unpickleLimits?: UnpickleOptions;
  /** Time for TCP connect plus handshake (default 10,000 ms). */
  connectTimeoutMs?: number;
  /** Challenge form we send to the server (default `'sha256'`; 3.11 servers answer it too). */
  challenge?: ChallengeForm;
}

export interface CallOptions {
  /**
   * Abandons the call. CPython cannot cancel a call in progress, so the
   * connection is closed; a Python `get` still blocked on the server may then
   * take an item and lose it (CPython's own behaviour for a vanished caller).
   */
  signal?: AbortSignal;
}

/** What a call returns: a value, or a proxy when the server answers `#PROXY` (`method_to_typeid`). */
export type PythonResult = PyValue | PythonProxy;

export class PythonManagerClient {
  readonly #options: PythonManagerClientOptions;
  readonly #authkey: Uint8Array;
  readonly #idle: FramedSocket[] = [];
  readonly #busy = new Set<FramedSocket>();
  readonly #proxies = new Set<PythonProxy>();
  #closed = false;
  #nextConnection = 1;

  constructor(options: PythonManagerClientOptions) {
    this.#options = options;
    this.#authkey = toAuthkey(options.authkey);
  }

  /** CPython `BaseManager.connect()`: proves both sides know the authkey (calls `dummy`). */
  async connect(): Promise<void> {
    await this.dispatch('dummy');
  }

  /**
   * CPython's `manager.<typeid>()`: `create(typeid, *args)` on the server
   * (which calls the registered callable there) and a proxy to the result.
   * The reference `create` takes is the proxy's; `release()` drops it.
   */
  async proxy(typeid: string, ...args: PyValue[]): Promise<PythonProxy> {
    const result = await this.dispatch('create', [typeid, ...args]);
    const [ident, exposed] = result instanceof PyTuple ? result.items : [];
    const names = exposed instanceof PyTuple ? exposed.items : Array.isArray(exposed) ? exposed : undefined;
    if (typeof ident !== 'string' || !names?.every((n) => typeof n === 'string')) {
      throw new ProtocolError(`create(${JSON.stringify(typeid)}) did not return (ident, exposed)`);
    }
    return this.#track(new PythonProxy(this, typeid, ident, names as string[]));
  }

  /** One server-level call on its own connection (CPython `dispatch(conn, None, method, args, kwds)`). */
  async dispatch(
    method: string,
    args: readonly PyValue[] = [],
    kwds: Record<string, PyValue> = {},
  ): Promise<PythonResult> {
    const request = encodeRequest({ ident: null, method, args, kwds });
    const channel = await this.#open();
    try {
      await channel.send(request);
      return this.#result(await this.#reply(channel));
    } finally {
      channel.close();
    }
  }

  /** Calls `method` on the object `ident` (what a proxy's `_callmethod` does). */
  async callMethod(
    ident: string,
    method: string,
    args: readonly PyValue[] = [],
    kwds: Record<string, PyValue> = {},
    options: CallOptions = {},
  ): Promise<PythonResult> {
    const { signal } = options;
    signal?.throwIfAborted();
    const request = encodeRequest({ ident, method, args, kwds });
    const channel = await this.#acquire();
    const onAbort = (): void => channel.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await channel.send(request);
      const reply = await this.#reply(channel);
      this.#releaseConnection(channel);
      return this.#result(reply);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Still busy means the call failed midway: the connection's state is unknown, drop it.
      if (this.#busy.delete(channel)) channel.close();
    }
  }

  /** Asks the manager process to stop (CPython `manager.shutdown()` sends this). */
  async shutdown(): Promise<void> {
    await this.dispatch('shutdown');
  }

  /** Drops the references our proxies hold (best effort), then closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await Promise.allSettled([...this.#proxies].map((proxy) => proxy.release()));
    this.#closed = true;
    for (const channel of [...this.#idle, ...this.#busy]) channel.close();
    this.#idle.length = 0;
    this.#busy.clear();
  }

  /** @internal Called by PythonProxy.release(). */
  forget(proxy: PythonProxy): void {
    this.#proxies.delete(proxy);
  }

  #track(proxy: PythonProxy): PythonProxy {
    this.#proxies.add(proxy);
    return proxy;
  }

  /** The value of a reply, or the error it carries. */
  #result(reply: Reply): PythonResult {
    switch (reply.kind) {
      case '#RETURN':
        return reply.value;
      case '#ERROR':
        throw fromPythonException(reply.error);
      case '#TRACEBACK':
      case '#UNSERIALIZABLE':
        throw fromTraceback(reply.text, reply.kind);
      case '#PROXY':
        // The server took a reference for this proxy when it created the object.
        return this.#track(new PythonProxy(this, reply.token.typeid, reply.token.id, reply.exposed));
    }
  }

  async #reply(channel: FramedSocket): Promise<Reply> {
    return decodeReply(await channel.receive(), this.#options.unpickleLimits);
  }

  /** A method-call connection: an idle one, or a new one turned by `accept_connection`. */
  async #acquire(): Promise<FramedSocket> {
    if (this.#closed) throw new ConnectionClosedError('CONNECTION_CLOSED', 'PythonManagerClient is closed');
    let channel = this.#idle.pop();
    while (channel?.closed) channel = this.#idle.pop();
    if (!channel) {
      channel = await this.#open();
      try {
        await channel.send(
          encodeRequest({ ident: null, method: 'accept_connection', args: [`peerproc-${this.#nextConnection++}`] }),
        );
        this.#result(await this.#reply(channel));
      } catch (err) {
        channel.close();
        throw err;
      }
    }
    this.#busy.add(channel);
    return channel;
  }

  #releaseConnection(channel: FramedSocket): void {
    this.#busy.delete(channel);
    if (!channel.closed && !this.#closed) this.#idle.push(channel);
  }

  /** A fresh authenticated connection (CPython `Client(address, authkey)`). */
  async #open(): Promise<FramedSocket> {
    if (this.#closed) throw new ConnectionClosedError('CONNECTION_CLOSED', 'PythonManagerClient is closed');
    const { host, port } = this.#options;
    const timeoutMs = this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const socket = await connectTcp(host, port, timeoutMs);
    const channel = new FramedSocket(socket, { maxFrameBytes: this.#options.maxFrameBytes });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      channel.close();
    }, timeoutMs);
    try {
      await clientHandshake(channel, this.#authkey, { challenge: this.#options.challenge });
      return channel;
    } catch (err) {
      channel.close();
      if (timedOut) {
        throw new ConnectTimeoutError(
          'HANDSHAKE_TIMEOUT',
          `handshake with ${host}:${port} took more than ${timeoutMs} ms`,
        );
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

function connectTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new ConnectTimeoutError('CONNECT_TIMEOUT', `connecting to ${host}:${port} took more than ${timeoutMs} ms`),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(
        new ConnectionClosedError('CONNECT_REFUSED', `cannot connect to ${host}:${port}: ${err.message}`, {
          cause: err,
        }),
      );
    });
  });
}
