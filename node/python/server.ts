/**
 * Serves a `Registry` over CPython's `multiprocessing.managers` protocol, so
 * unmodified Python workers (`BaseManager.connect()` + proxies) can use our
 * queues. Per connection, as CPython's `Server.handle_request`: the full
 * handshake both ways, then one server-level call (`create`, `incref`...), or
 * `accept_connection`, which turns the connection into a method-call loop.
 *
 * Where we do better than CPython (docs/python.md):
 * decoding never executes anything; a failed handshake or a hostile message
 * closes the connection with no traceback sent and one log line; a silent
 * connection is dropped after `handshakeTimeoutMs`; and a caller that dies
 * while blocked in `get()` has its wait cancelled, so the next item goes to a
 * live worker.
 *
 * Delivery guarantees, as for WebRTC peers: calls on our queues go through
 * `[remoteCall]` with one lease ledger per method-call connection. CPython
 * opens one such connection per (process, thread, manager address), and it
 * carries every proxy call of that thread: a classic worker's `task.get()`
 * and `result.put()` share it. So items a worker takes are leased to it, its
 * next `put` (on any queue) or `task_done()` acknowledges the oldest, a
 * proxy released cleanly (the process ended normally) acknowledges what was
 * taken through it, and when a connection ends with leases still held (the
 * worker was killed) they go back to the head of their queue. See
 * acknowledgement.ts, and `ack: 'get'` for CPython's consume-on-get.
 *
 * Values: requests are decoded under a `GlobalPolicy` (`pythonGlobals`), so
 * datetimes, Decimals, your own classes... pass through unchanged as opaque
 * values. A request that is a valid pickle but refused (a call the policy
 * does not allow, a value over a limit, a frame over `maxFrameBytes`) is
 * answered with a `RemoteError` naming what was refused, and the connection
 * carries on, as CPython answers what it cannot unpickle; bytes that are not
 * a pickle at all close the connection.
 *
 * `close()` is graceful: waits in `get()` end with `queue.Empty` (so a
 * classic worker's `except queue.Empty` ends its loop and it exits cleanly,
 * where a CPython master leaves it an `EOFError`), then the connections close.
 */

import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { AuthenticationError, ConnectionClosedError, Empty, ProtocolError } from '../../shared/errors.js';
import { GuessLimiter, type GuessLimits } from '../../shared/manager/guess-limiter.js';
import type { Registry } from '../../shared/rpc/registry.js';
import type { RemoteCallContext } from '../../shared/rpc/served.js';
import { type ConnectionLedger, ledgerFor, type PythonAck } from './acknowledgement.js';
import { BusyPoll } from './busy-poll.js';
import { bindArgs, callPython } from './calling.js';
import { exposureError, unknownTypeid } from './cpython-errors.js';
import { FramedSocket } from './framed-socket.js';
import { PythonObjectTable, type ServedObject } from './object-table.js';
import {
  CLOSE_FLUSH_MS,
  CLOSE_GRACE_MS,
  consolePythonLogger,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_PYTHON_HOST,
  type PythonLogger,
  toAuthkey,
} from './options.js';
import {
  GlobalPolicy,
  PickleError,
  PickleForbiddenError,
  PickleLimitError,
  PyException,
  PyToken,
  PyTuple,
  type PyValue,
  pyRepr,
  tuple,
  type UnpickleOptions,
} from './pickle/index.js';
import {
  type ChallengeForm,
  decodeRequest,
  encodeReply,
  PythonException,
  type Reply,
  type Request,
  SkippedFrame,
  serverHandshake,
  toPythonException,
  tracebackText,
} from './wire/index.js';

/**
 * Online guessing of the authkey over CPython's HMAC handshake, throttled per
 * remote address and for the whole listener (README "Working with Python").
 * CPython clients open many short connections, so unproven ones are not capped.
 */
export const PYTHON_GUESS_LIMITS: GuessLimits = {
  perPeer: 5,
  peerBanMs: 60_000,
  burst: 20,
  intervalMs: 1_000,
  maxPending: Number.POSITIVE_INFINITY,
  quietMs: 10_000,
  reportMs: 60_000,
  maxPeers: 10_000,
};

export interface PythonManagerServerOptions {
  /** The manager's authkey (CPython `authkey=b'abc'`; a string is taken as UTF-8). */
  authkey: Uint8Array | string;
  /** Receives one line per refused or dropped connection (default: console). */
  logger?: PythonLogger;
  /** Largest request frame accepted (default 256 MiB). */
  maxFrameBytes?: number;
  /** Bounds for decoding requests (see node/python/pickle/limits.ts). */
  unpickleLimits?: UnpickleOptions;
  /** Time for a new connection to authenticate and send its first request (default 10,000 ms). */
  handshakeTimeoutMs?: number;
  /** Challenge form we send (default `'sha256'`, as CPython 3.12+; 3.11 clients answer it too). */
  challenge?: ChallengeForm;
  /**
   * An extra signal per connection, combined with the one that aborts when the
   * connection closes, and passed to every queue `get`/`put` it makes (e.g.
   * the master's shutdown signal).
   */
  connectionSignal?: (connection: PythonConnectionInfo) => AbortSignal | undefined;
  /** Called when a Python client calls `shutdown`; without it, remote shutdown is refused. */
  onShutdownRequest?: () => void;
  /**
   * Globals Python peers may pass through beyond the built-in value types
   * and their scripts' own classes (`'myapp.models.*'`, `'myapp.Color'`, or
   * `'*'` for any: CPython's trust model). See node/python/pickle/policy.ts.
   */
  pythonGlobals?: readonly string[];
  /** How items Python peers take are acknowledged (default `'lease'`; `'get'`: CPython's consume-on-get). */
  ack?: PythonAck;
  /**
   * Ms the event loop keeps polling after each reply, so a client's next call
   * is picked up at once instead of after the process wakes from idle
   * (default 0.2; 0 turns it off). See node/python/busy-poll.ts.
   */
  busyPollMs?: number;
}

export interface PythonConnectionInfo {
  readonly id: number;
  /** `host:port` of the Python side. */
  readonly remote: string;
  /** Aborts when the connection closes; passed to the queue waits it makes. */
  readonly signal: AbortSignal;
  /** The Python thread name given to `accept_connection`, once it is a method-call connection. */
  name?: string;
  /** Items taken by this connection and not yet acknowledged (method-call connections). */
  readonly leases: number;
}

export interface PythonServerAddress {
  host: string;
  port: number;
}

/** Details of a method call, emitted as `'call'` before the object runs it. */
export interface PythonCallEvent {
  connection: PythonConnectionInfo;
  typeid: string;
  ident: string;
  method: string;
}

/** What `#serveOne` produced: the reply, and how to undo the call if the reply cannot be delivered. */
interface Outcome {
  reply: Reply;
  undo?: () => void;
}

/**
 * Events: `'connection'` (PythonConnectionInfo) when a TCP connection arrives,
 * `'accept'` (PythonConnectionInfo) when it becomes a method-call connection
 * (a Python process, or thread, starts calling proxies), `'connectionClose'`
 * (PythonConnectionInfo) when it is gone, `'call'` (PythonCallEvent) when a
 * proxy method call starts, `'leasesReleased'` (PythonConnectionInfo, count)
 * when a connection ended holding unacknowledged items (they were put back),
 * `'leasesAcknowledged'` (ident, count) when a proxy released cleanly
 * acknowledged items taken through it, `'refused'` (PythonConnectionInfo,
 * message) when a request was answered with a refusal (policy or limit).
 */
export class PythonManagerServer extends EventEmitter {
  readonly #registry: Registry;
  readonly #authkey: Uint8Array;
  readonly #logger: PythonLogger;
  readonly #options: PythonManagerServerOptions;
  readonly #handshakeTimeoutMs: number;
  readonly #objects = new PythonObjectTable();
  readonly #policy: GlobalPolicy;
  readonly #decodeOptions: UnpickleOptions;
  /** Ledgers of the open method-call connections (a released proxy acknowledges in all of them). */
  readonly #ledgers = new Set<ConnectionLedger>();
  readonly #connections = new Set<FramedSocket>();
  /** Connections in the middle of a call (they close after their reply once closing). */
  readonly #busy = new Set<FramedSocket>();
  /** Aborted by `close()`: pending waits end, and every connection's signal with it. */
  readonly #closing = new AbortController();
  /** Set once the grace after `close()` is over: connections end as soon as they are idle. */
  #graceOver = false;
  #closed: Promise<void> | undefined;
  #server: Server | undefined;
  #address: PythonServerAddress | undefined;
  #nextConnectionId = 1;
  readonly #guesses: GuessLimiter;
  readonly #busyPoll: BusyPoll;

  constructor(registry: Registry, options: PythonManagerServerOptions) {
    super();
    this.#registry = registry;
    this.#authkey = toAuthkey(options.authkey);
    this.#logger = options.logger ?? consolePythonLogger;
    this.#guesses = new GuessLimiter(PYTHON_GUESS_LIMITS, 'the Python listener', (line) =>
      this.#logger.warn(`python manager: ${line}`),
    );
    this.#options = options;
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.#policy = new GlobalPolicy({ allow: options.pythonGlobals });
    this.#decodeOptions = { ...options.unpickleLimits, globals: this.#policy };
    this.#busyPoll = new BusyPoll(options.busyPollMs);
  }

  /** Starts listening; port 0 picks a free port. Resolves with the bound address. */
  listen(port = 0, host = DEFAULT_PYTHON_HOST): Promise<PythonServerAddress> {
    if (this.#server) return Promise.reject(new Error('PythonManagerServer is already listening'));
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const bound = server.address();
        if (bound === null || typeof bound === 'string') return reject(new Error('unexpected non-TCP address'));
        this.#address = { host: bound.address, port: bound.port };
        resolve(this.#address);
      });
    });
  }

  get address(): PythonServerAddress | undefined {
    return this.#address;
  }

  /** Open TCP connections (handshaking, single calls and method-call loops). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Objects with live Python references (CPython's `number_of_objects`). */
  get objectCount(): number {
    return this.#objects.size;
  }

  /**
   * Stops listening, ends pending `get()` waits with `queue.Empty` (replies
   * sent), gives idle method-call connections `CLOSE_GRACE_MS` to make one
   * more call (answered the same way), then closes every connection; items
   * leased to them go back to their queues. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#guesses.close();
    this.#closing.abort(new ConnectionClosedError('MANAGER_CLOSING', 'the manager is shutting down'));
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    // A worker between two calls (its put answered, its next get on the way) is answered too.
    if (this.#connections.size > 0) await new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS));
    this.#graceOver = true;
    for (const channel of this.#connections) if (!this.#busy.has(channel)) channel.end();
    // Busy connections end after their reply; a call that outlives the flush time is cut.
    const force = setTimeout(() => {
      for (const channel of this.#connections) channel.close();
    }, CLOSE_FLUSH_MS);
    await stopped;
    clearTimeout(force);
  }

  #accept(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown address';
    // Too many failed handshakes: closed before the challenge (logged per burst by the limiter).
    if (!this.#guesses.admit(address).ok) {
      socket.destroy();
      return;
    }
    const channel = new FramedSocket(socket, { maxFrameBytes: this.#options.maxFrameBytes });
    const base = { id: this.#nextConnectionId++, remote: channel.remote, signal: channel.signal, leases: 0 };
    const extra = this.#options.connectionSignal?.(base);
    const signals = [channel.signal, this.#closing.signal, ...(extra ? [extra] : [])];
    const info: PythonConnectionInfo = { ...base, signal: AbortSignal.any(signals) };
    const onExtraAbort = (): void => channel.close();
    extra?.addEventListener('abort', onExtraAbort, { once: true });
    this.#connections.add(channel);
    socket.once('close', () => {
      extra?.removeEventListener('abort', onExtraAbort);
      this.#connections.delete(channel);
      this.#busy.delete(channel);
      this.emit('connectionClose', info);
    });
    this.emit('connection', info);
    void this.#handle(channel, info, address);
  }

  async #handle(channel: FramedSocket, info: PythonConnectionInfo, address: string): Promise<void> {
    let stage: 'handshake' | 'request' = 'handshake';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.#logger.warn(
        `python manager: dropped connection from ${info.remote}: no authenticated request within ${this.#handshakeTimeoutMs} ms`,
      );
      channel.close();
    }, this.#handshakeTimeoutMs);
    try {
      await serverHandshake(channel, this.#authkey, { challenge: this.#options.challenge });
      this.#guesses.settle(address, 'authenticated');
      stage = 'request';
      const request = this.#decode(await channel.receiveOrSkip(), info);
      clearTimeout(timer);
      this.#busy.add(channel);
      if ('refusal' in request) {
        // One request per server-level connection: answer the refusal, then end it.
        await channel.send(this.#encode(request.refusal, info));
        channel.end();
        return;
      }
      await this.#serverCall(channel, info, request);
    } catch (err) {
      const what = stage === 'handshake' ? 'refused connection' : 'closed connection';
      const line = `${what} from ${info.remote}: ${describe(err)}`;
      if (stage === 'handshake' && err instanceof AuthenticationError && !timedOut) {
        this.#guesses.settle(address, 'failed', line);
      } else {
        if (stage === 'handshake') this.#guesses.settle(address, 'dropped');
        if (!timedOut) this.#logger.warn(`python manager: ${line}`);
      }
      // End, not destroy: a refused client must still read #FAILURE# (it then raises
      // AuthenticationError). Nothing else is sent: no traceback, no paths.
      channel.end();
    } finally {
      clearTimeout(timer);
    }
  }

  /** One server-level call, as CPython's `Server` public methods. */
  async #serverCall(channel: FramedSocket, info: PythonConnectionInfo, request: Request): Promise<void> {
    let reply: Reply;
    let after: (() => void) | undefined;
    try {
      if (request.method === 'accept_connection') {
        const [name] = bindArgs('accept_connection', [{ name: 'name' }], request.args, request.kwds);
        info.name = String(name);
        await channel.send(encodeReply({ kind: '#RETURN', value: null }));
        this.emit('accept', info);
        return await this.#serveMethods(channel, info);
      }
      if (request.method === 'shutdown') after = this.#shutdownHook();
      reply = { kind: '#RETURN', value: await this.#serverFunction(request) };
    } catch (err) {
      after = undefined;
      reply = { kind: '#TRACEBACK', text: tracebackText(err) };
    }
    await channel.send(encodeReply(reply));
    channel.end();
    after?.();
  }

  #shutdownHook(): () => void {
    const hook = this.#options.onShutdownRequest;
    if (!hook) {
      throw new PythonException(
        new PyException('builtins', 'PermissionError', ['remote shutdown is disabled on this peerproc manager']),
      );
    }
    return hook;
  }

  async #serverFunction(request: Request): Promise<PyValue> {
    const { method, args, kwds } = request;
    switch (method) {
      case 'dummy':
      case 'shutdown':
        bindArgs(method, [], args, kwds);
        return null;
      case 'create':
        return this.#create(args, kwds);
      case 'incref':
      case 'decref': {
        const [ident] = bindArgs(method, [{ name: 'ident' }], args, kwds);
        if (method === 'incref') this.#objects.incref(String(ident));
        else if (this.#objects.decref(String(ident))) this.#proxyReleased(String(ident));
        return null;
      }
      case 'get_methods': {
        const [token] = bindArgs(method, [{ name: 'token' }], args, kwds);
        if (!(token instanceof PyToken)) throw new TypeError('get_methods() needs a Token');
        return new PyTuple(this.#objects.get(token.id).binding.exposed);
      }
      case 'debug_info':
        bindArgs(method, [], args, kwds);
        return this.#objects.debugInfo();
      case 'number_of_objects':
        bindArgs(method, [], args, kwds);
        return this.#objects.size;
      default:
        throw new PythonException(new PyException('builtins', 'AssertionError', [`${pyRepr(method)} unrecognized`]));
    }
  }

  /** A proxy's last reference is gone: what was taken through it and is still held was consumed. */
  #proxyReleased(ident: string): void {
    let count = 0;
    for (const ledger of this.#ledgers) count += ledger.acknowledgeVia(ident);
    if (count > 0) this.emit('leasesAcknowledged', ident, count);
  }

  /** `create(typeid, *args, **kwds)`: calls the registration's callable and serves the result. */
  async #create(args: readonly PyValue[], kwds: ReadonlyMap<string, PyValue>): Promise<PyValue> {
    const [typeid, ...rest] = args;
    if (typeof typeid !== 'string') throw new TypeError('create() needs a typeid str as first argument');
    const registration = this.#registry.get(typeid);
    // CPython: `self.registry[typeid]`, a KeyError naming the typeid.
    if (!registration?.callable) throw unknownTypeid(typeid);
    const obj: unknown = await callPython(registration.callable as (...a: never[]) => unknown, typeid, rest, kwds);
    if (obj === null || typeof obj !== 'object') {
      throw new TypeError(`the callable registered as ${JSON.stringify(typeid)} did not return an object`);
    }
    const served = this.#objects.add(obj, typeid, registration);
    return tuple(served.ident, new PyTuple(served.binding.exposed));
  }

  /**
   * The long-lived loop after `accept_connection`: one call at a time, each
   * answered in order. Items taken are leased to this connection's ledger
   * until acknowledged; when the loop ends, the rest go back to their queues.
   */
  async #serveMethods(channel: FramedSocket, info: PythonConnectionInfo): Promise<void> {
    const ledger = ledgerFor(this.#options.ack ?? 'lease');
    this.#ledgers.add(ledger);
    const context: RemoteCallContext = { signal: info.signal, ledger };
    Object.defineProperty(info, 'leases', { get: () => ledger.size, enumerable: true });
    try {
      for (;;) {
        this.#busy.delete(channel);
        if (this.#graceOver) {
          channel.end();
          return;
        }
        let decoded: Request | { refusal: Reply };
        try {
          decoded = this.#decode(await channel.receiveOrSkip(), info);
        } catch (err) {
          // A plain close is how a Python process ends its proxies; anything else is refused input.
          if (!(err instanceof ConnectionClosedError) || channel.closedMidFrame) {
            this.#logger.warn(`python manager: closed connection from ${info.remote}: ${describe(err)}`);
          }
          channel.close();
          return;
        }
        this.#busy.add(channel);
        ledger.via = 'refusal' in decoded ? undefined : String(decoded.ident);
        const { reply, undo } =
          'refusal' in decoded
            ? { reply: decoded.refusal, undo: undefined }
            : await this.#serveOne(info, decoded, context);
        if (channel.closed) {
          // The caller went away while we worked: never hand an item to a dead socket.
          undo?.();
          return;
        }
        try {
          await channel.send(this.#encode(reply, info));
        } catch {
          undo?.();
          return;
        }
        this.#busyPoll.kick();
      }
    } finally {
      this.#busy.delete(channel);
      this.#ledgers.delete(ledger);
      const held = ledger.size;
      ledger.releaseAll(`python connection from ${info.remote} closed`);
      if (held > 0) this.emit('leasesReleased', info, held);
    }
  }

  async #serveOne(info: PythonConnectionInfo, request: Request, context: RemoteCallContext): Promise<Outcome> {
    let served: ServedObject;
    try {
      served = this.#objects.get(String(request.ident));
    } catch (err) {
      return { reply: { kind: '#TRACEBACK', text: tracebackText(err) } };
    }
    const { method } = request;
    if (!served.binding.exposed.includes(method)) return { reply: this.#fallback(served, method) };
    this.emit('call', {
      connection: info,
      typeid: served.typeid,
      ident: served.ident,
      method,
    } satisfies PythonCallEvent);
    let result: Awaited<ReturnType<ServedObject['binding']['call']>>;
    try {
      result = await served.binding.call(method, request.args, request.kwds, context);
    } catch (err) {
      // Shutting down: the master hands out nothing more, and a worker's `get` says so as queue.Empty.
      const ending = this.#closing.signal.aborted && (method === 'get' || method === 'get_nowait');
      return { reply: { kind: '#ERROR', error: toPythonException(ending ? new Empty() : err) } };
    }
    const proxyTypeid =
      served.binding.resultTypeid?.(method) ?? served.registration.methodToTypeid?.[served.binding.jsName(method)];
    if (proxyTypeid === undefined)
      return { reply: { kind: '#RETURN', value: result.value as PyValue }, undo: result.undo };
    return { reply: this.#proxyReply(proxyTypeid, result.value), undo: result.undo };
  }

  /** `method_to_typeid`: the result is served as a new object and sent as a proxy. */
  #proxyReply(typeid: string, value: unknown): Reply {
    if (value === null || typeof value !== 'object') {
      return { kind: '#TRACEBACK', text: tracebackText(new TypeError(`result for ${typeid} is not an object`)) };
    }
    const served = this.#objects.add(value, typeid, this.#registry.get(typeid) ?? {});
    const address = this.#address ? tuple(this.#address.host, this.#address.port) : null;
    return { kind: '#PROXY', exposed: [...served.binding.exposed], token: new PyToken(typeid, address, served.ident) };
  }

  /** CPython's `fallback_mapping` for names outside `exposed`: `__str__`, `__repr__`, `#GETVALUE`. */
  #fallback(served: ServedObject, method: string): Reply {
    const special = served.binding.fallback?.(method);
    if (special !== undefined) return { kind: '#RETURN', value: special };
    if (method === '__str__' || method === '__repr__') {
      return { kind: '#RETURN', value: `<${served.typeid} object served by peerproc>` };
    }
    if (method === '#GETVALUE') return { kind: '#RETURN', value: served.obj as PyValue };
    return { kind: '#TRACEBACK', text: exposureError(method, served.obj, served.binding.exposed) };
  }

  /**
   * A request frame, decoded under the policy and limits. A refusal of a
   * valid pickle (policy, limit, oversized frame) or a request of the wrong
   * shape is answered, as CPython answers what it cannot unpickle; bytes that
   * are not a pickle throw (the connection is then closed).
   */
  #decode(frame: Uint8Array | SkippedFrame, info: PythonConnectionInfo): Request | { refusal: Reply } {
    let refused: string;
    if (frame instanceof SkippedFrame) {
      refused = `MessageTooLargeError: ${frame.message} (the manager's limit on one message)`;
    } else {
      try {
        return decodeRequest(frame, this.#decodeOptions);
      } catch (err) {
        if (!(err instanceof PickleForbiddenError || err instanceof PickleLimitError || err instanceof ProtocolError)) {
          throw err;
        }
        refused = `${err.name}: ${err.message}`;
      }
    }
    this.#logger.warn(`python manager: refused a request from ${info.remote}: ${refused}`);
    this.emit('refused', info, refused);
    const text = `Traceback (most recent call last):\n  [stack not sent by the peerproc manager]\n${refused}\n`;
    return { refusal: { kind: '#TRACEBACK', text } };
  }

  /** Pickles a reply; a value with no pickle form becomes `#UNSERIALIZABLE`, as in CPython. */
  #encode(reply: Reply, info: PythonConnectionInfo): Uint8Array {
    try {
      return encodeReply(reply, { globals: this.#policy });
    } catch (err) {
      if (!(err instanceof PickleError)) throw err;
      this.#logger.warn(`python manager: reply to ${info.remote} not serializable: ${err.message}`);
      return encodeReply({ kind: '#UNSERIALIZABLE', text: `${err.name}: ${err.message}` });
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
