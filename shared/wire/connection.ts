/**
 * One authenticated peer connection: the link's first frames run the authkey
 * handshake; only then do framed, encoded RPC messages flow. Heartbeats detect
 * a peer that vanished without closing. Any protocol breach closes this one
 * connection with a logged reason; nothing is thrown to the caller.
 */

import {
  AuthenticationError,
  ConnectionClosedError,
  ConnectTimeoutError,
  PeerprocError,
  PeerShutdownError,
  ProtocolError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import { RpcEndpoint } from '../rpc/endpoint.js';
import { ObjectTable } from '../rpc/object-table.js';
import { Kind, type Message, parseMessage } from '../rpc/protocol.js';
import type { Registry } from '../rpc/registry.js';
import { type AuthRole, type ChannelBinding, Handshake } from './auth.js';
import { Codec } from './codec.js';
import { DEFAULT_MAX_MESSAGE_BYTES, type FrameChannel, FrameReceiver, FrameSender } from './framing.js';

/**
 * One codec for every connection in the process: encoding and decoding are
 * synchronous, so sharing is safe, and a master with hundreds of workers keeps
 * one set of buffers and caches instead of one per connection.
 */
const sharedCodec = new Codec();

/**
 * A peer (or a CPython client on TCP) must finish authenticating within this
 * long or be dropped: a real handshake takes milliseconds; the limit only
 * stops a silent peer from holding a slot forever.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Each side sends at least one message this often (a ping when idle). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;
/** A peer silent for this long is considered gone (its leases are released). */
export const DEFAULT_DEAD_AFTER_MS = 5_000;
/**
 * A peer silent for this many heartbeat intervals has probably died (a live
 * one sends at least a ping every interval); it is declared dead only after
 * `deadAfter`, but queues stop preferring it at once (see RemoteCallContext.heardFrom).
 */
const SILENT_AFTER_HEARTBEATS = 2.5;
/** Longest wait, after a goodbye, for the peer to hang up before we close anyway. */
const BYE_LINGER_MS = 2_000;
/** Longest wait for queued messages (say a large result) to leave before saying goodbye: 64 MiB at ~10 MB/s. */
const FLUSH_DATA_BEFORE_BYE_MS = 10_000;
/**
 * Closing the peer connection right after a send can drop the frame in flight.
 * So after sending FAILURE the master lets the refused worker close first (it
 * does as soon as it reads FAILURE, and so learns its key was rejected), and
 * closes itself only after this long.
 */
const REFUSAL_LINGER_MS = 2_000;
/** A peer may send its first handshake frames before our open event; more than this is a breach. */
const MAX_EARLY_FRAMES = 4;

/** The transport under a connection (PeerLink in production, in-memory pairs in unit tests). */
export interface Link extends FrameChannel {
  start(events: { onOpen(): void; onFrame(frame: Uint8Array): void; onClose(reason: Error | undefined): void }): void;
  fingerprints(): { local: string; remote: string };
  close(): void;
}

export interface ConnectionOptions {
  link: Link;
  role: AuthRole;
  authkey: Uint8Array;
  /** Objects this side serves to the peer (the master's registry). */
  registry?: Registry;
  logger: Logger;
  /** Name used in log lines, e.g. the peer id. */
  label: string;
  /** The peer's id, given to served objects as their caller (RemoteCallContext.peer). */
  peer?: string;
  /** What this side tells the peer it runs (platform name), for the master's worker list. */
  agent: string;
  handshakeTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  deadAfterMs?: number;
  maxMessageBytes?: number;
  /** Called once when the connection ends, with the reason (undefined for a clean close). */
  onClose?(reason: Error | undefined): void;
}

export class Connection {
  readonly label: string;
  readonly rpc: RpcEndpoint;
  /** Resolves once both sides have proven the authkey. */
  readonly ready: Promise<void>;

  readonly #options: ConnectionOptions;
  readonly #link: Link;
  readonly #codec: Codec;
  readonly #sender: FrameSender;
  readonly #receiver: FrameReceiver;
  readonly #abort = new AbortController();
  readonly #table: ObjectTable | undefined;
  #handshake: Handshake | undefined;
  #authenticated = false;
  #ended = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #lastReceived = 0;
  #lastSent = 0;
  #resolveReady!: () => void;
  #rejectReady!: (err: Error) => void;
  #peerAgent = 'unknown';
  /** Set once a peer was refused: input is ignored until the connection ends, with this reason. */
  #refusal: Error | undefined;
  /** Frames that arrived before our side saw the channel open (the peer's nonce can overtake the event). */
  readonly #early: Uint8Array[] = [];

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.label = options.label;
    this.#link = options.link;
    this.#codec = sharedCodec;
    this.#sender = new FrameSender(this.#link);
    this.#receiver = new FrameReceiver(
      (batch) => {
        for (const value of this.#codec.decodeAll(batch)) this.#dispatch(value);
      },
      (message) => this.#dispatch(this.#codec.decode(message)),
      options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    );
    const heartbeatMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    const heardFrom = () => performance.now() - this.#lastReceived < heartbeatMs * SILENT_AFTER_HEARTBEATS;
    const heardLately = () => performance.now() - this.#lastReceived < heartbeatMs;
    this.#table = options.registry
      ? new ObjectTable(options.registry, this.#abort.signal, { heardFrom, heardLately }, options.peer)
      : undefined;
    this.rpc = new RpcEndpoint((message) => this.#send(message), this.#table);
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Callers that never await `ready` must not see an unhandled rejection.
    this.ready.catch(() => {});
    this.#link.start({
      onOpen: () => this.#onOpen(),
      onFrame: (frame) => this.#onFrame(frame),
      onClose: (reason) =>
        this.#end(
          this.#refusal ?? reason ?? new ConnectionClosedError('CHANNEL_CLOSED', `connection to ${this.label} closed`),
        ),
    });
  }

  get authenticated(): boolean {
    return this.#authenticated;
  }

  /** The peer got this side's key confirmation before proving the key: one online guess (see Handshake). */
  get guessSpent(): boolean {
    return this.#handshake?.guessSpent ?? false;
  }

  /** What the peer says it runs ("browser", "node-datachannel", ...); "unknown" until it says. */
  get peerAgent(): string {
    return this.#peerAgent;
  }

  /** Calls served for the peer, by "typeid.method". */
  callCounts(): ReadonlyMap<string, number> {
    return this.#table?.callCounts ?? new Map();
  }

  #onOpen(): void {
    if (this.#ended) return;
    let local: string;
    let remote: string;
    try {
      ({ local, remote } = this.#link.fingerprints());
    } catch (err) {
      // Without both fingerprints there is nothing to bind the handshake to: end this attempt, never throw.
      this.#end(err instanceof Error ? err : new ProtocolError(String(err)));
      return;
    }
    const binding: ChannelBinding =
      this.#options.role === 'master' ? { master: local, worker: remote } : { master: remote, worker: local };
    this.#handshake = new Handshake(this.#options.role, this.#options.authkey, binding, (f) => this.#link.send(f));
    const timeoutMs = this.#options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.#timer = setTimeout(() => {
      this.#end(
        new ConnectTimeoutError(
          'HANDSHAKE_TIMEOUT',
          `authentication with ${this.label} not completed within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    this.#handshake.start();
    for (const frame of this.#early.splice(0)) this.#onFrame(frame);
  }

  #onFrame(frame: Uint8Array): void {
    if (this.#ended || this.#refusal) return;
    this.#lastReceived = performance.now();
    try {
      if (this.#authenticated) {
        this.#receiver.receive(frame);
      } else if (this.#handshake?.receive(frame)) {
        this.#onAuthenticated();
      } else if (!this.#handshake) {
        if (this.#early.length >= MAX_EARLY_FRAMES) throw new ProtocolError('frames before the channel opened');
        this.#early.push(frame.slice());
      }
    } catch (err) {
      const reason = err instanceof Error ? err : new ProtocolError(String(err));
      if (this.#options.role === 'master' && !this.#authenticated && reason instanceof AuthenticationError) {
        this.#endAfterFlush(reason);
      } else if (!this.#authenticated && reason instanceof AuthenticationError) {
        // A refused worker fails at once, but hangs up a moment later: its key confirmation may still be
        // in flight, and closing now would drop it (the master then learns less about why it failed).
        this.#end(reason, REFUSAL_LINGER_MS);
      } else {
        this.#end(reason);
      }
    }
  }

  /** Stops reading and waits for the refused peer to hang up (or REFUSAL_LINGER_MS), then ends. */
  #endAfterFlush(reason: Error): void {
    this.#refusal = reason;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#end(reason), REFUSAL_LINGER_MS);
  }

  #onAuthenticated(): void {
    this.#authenticated = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#lastSent = this.#lastReceived = performance.now();
    const interval = this.#options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    const deadAfter = this.#options.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
    this.#heartbeat = setInterval(() => {
      const now = performance.now();
      if (now - this.#lastReceived > deadAfter) {
        this.#end(
          new ConnectionClosedError(
            'HEARTBEAT_LOST',
            `${this.label} sent nothing for ${deadAfter} ms (heartbeat lost)`,
          ),
        );
      } else if (now - this.#lastSent >= interval) {
        this.#send([Kind.Ping]);
      }
    }, interval);
    this.#send([Kind.Hello, this.#options.agent]);
    this.#resolveReady();
  }

  #dispatch(value: unknown): void {
    const message = parseMessage(value);
    if (message[0] === Kind.Ping) return;
    if (message[0] === Kind.Hello) {
      this.#peerAgent = message[1];
      return;
    }
    if (message[0] === Kind.Bye) {
      // Pending calls fail with the peer's own reason (bounded: it came from the network).
      const said = message[1].slice(0, 200);
      this.#end(new PeerShutdownError('PEER_BYE', `${this.label} closed the connection: ${said}`, said));
      return;
    }
    this.rpc.handle(message);
  }

  #send(message: Message): void {
    if (this.#ended) throw new ConnectionClosedError('CONNECTION_CLOSED', `connection to ${this.label} is closed`);
    this.#sender.send(this.#codec.encode(message));
    this.#lastSent = performance.now();
  }

  /** Tells the peer why we are leaving, lets queued frames go, then closes. */
  async bye(reason: string): Promise<void> {
    if (this.#ended) return;
    if (this.#authenticated) {
      this.rpc.flush();
      // Small messages overtake the chunks of large ones, so the goodbye waits until
      // every queued message has left; otherwise it could arrive before a large result.
      await this.#drain(() => this.#sender.queuedBytes > 0, FLUSH_DATA_BEFORE_BYE_MS);
      if (!this.#ended) this.#send([Kind.Bye, reason]);
      // An empty send buffer does not mean delivered: SCTP may still hold data in flight,
      // and closing now would drop it. The peer hangs up when it reads the goodbye.
      await this.#drain(() => true, BYE_LINGER_MS);
    }
    this.#end(undefined);
  }

  /** Waits while `busy()` holds, at most `ms`, or until the connection ends. */
  async #drain(busy: () => boolean, ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while (busy() && performance.now() < deadline && !this.#ended) {
      await new Promise<void>((resolve) => setTimeout(() => resolve(), 5));
    }
  }

  close(reason?: Error): void {
    this.#end(this.#refusal ?? reason);
  }

  /** Ends the connection; with `closeAfterMs`, the link itself closes that much later (frames in flight still leave). */
  #end(reason: Error | undefined, closeAfterMs?: number): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#sender.close();
    this.#abort.abort();
    this.#table?.releaseLeases(reason?.message ?? 'connection closed');
    const callError =
      reason instanceof PeerprocError
        ? reason
        : new ConnectionClosedError('CONNECTION_CLOSED', `connection to ${this.label} closed`);
    this.rpc.close(callError);
    if (closeAfterMs === undefined) this.#link.close();
    else setTimeout(() => this.#link.close(), closeAfterMs);
    if (!this.#authenticated)
      this.#rejectReady(reason ?? new ConnectionClosedError('CONNECTION_CLOSED', `${this.label} went away`));
    this.#options.onClose?.(reason);
  }
}
