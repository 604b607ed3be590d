/**
 * The master's side of a room: registers as the room's master, answers each
 * worker's offer with a peer connection, authenticates it, and serves the
 * registry to it. Keeps serving established workers if the signaling server
 * goes away, and re-registers (with backoff) once it is back.
 */
import { backoffDelay, sleep } from '../backoff.js';
import { AddressInUseError, AuthenticationError, PeerShutdownError } from '../errors.js';
import { consoleLogger } from '../logger.js';
import type { Registry } from '../rpc/registry.js';
import { SignalingClient } from '../signaling/client.js';
import { CLOSE_MASTER_FINISHED, type ServerMessage } from '../signaling/protocol.js';
import { PeerLink, parseLinkSignal } from '../webrtc/peer-link.js';
import type { IceServer } from '../webrtc/platform.js';
import { Connection } from '../wire/connection.js';
import type { EventHub } from './events.js';
import { GuessLimiter, ROOM_GUESS_LIMITS } from './guess-limiter.js';
import { connectionSettings, type ResolvedOptions } from './options.js';

export interface WorkerInfo {
  peer: string;
  authenticated: boolean;
  /** What the worker runs: "browser", "node-datachannel", "wrtc"... */
  agent: string;
  /** Calls it made, by "typeid.method" (e.g. "get_result_queue.put": results returned). */
  calls: Record<string, number>;
}

export class MasterHost {
  readonly #options: ResolvedOptions;
  readonly #registry: Registry;
  readonly #events: EventHub;
  readonly #id: string;
  readonly #peers = new Map<string, { link: PeerLink; connection: Connection }>();
  #signaling: SignalingClient | undefined;
  #iceServers: IceServer[] = [];
  #stopped = false;
  readonly #guesses: GuessLimiter;

  constructor(options: ResolvedOptions, registry: Registry, events: EventHub, id: string) {
    this.#options = options;
    this.#registry = registry;
    this.#events = events;
    this.#id = id;
    this.#guesses = new GuessLimiter(ROOM_GUESS_LIMITS, `room ${options.room}`, (line) => this.#log.warn(line));
  }

  get #log() {
    return this.#options.logger ?? consoleLogger;
  }

  /** Registers as the room's master; rejects with AddressInUseError if the room has one. */
  async start(): Promise<void> {
    await this.#register();
  }

  async #register(): Promise<void> {
    const signaling = new SignalingClient({
      platform: this.#options.platform,
      url: this.#options.url,
      servers: this.#options.servers,
      role: 'master',
      id: this.#id,
      onMessage: (m) => this.#onSignaling(m),
      onDisconnect: (reason) => void this.#reconnect(reason),
    });
    const registered = await signaling.connect();
    this.#signaling = signaling;
    this.#iceServers = this.#options.iceServers ?? registered.iceServers;
  }

  /** Signaling dropped: established workers keep working; new ones wait until we are back. */
  async #reconnect(reason: Error): Promise<void> {
    if (this.#stopped) return;
    this.#events.emit({ type: 'signaling-lost', reason: reason.message });
    this.#log.warn(`signaling connection lost (${reason.message}); reconnecting`);
    for (let attempt = 0; !this.#stopped; attempt++) {
      await sleep(backoffDelay(attempt));
      if (this.#stopped) return;
      try {
        await this.#register();
        this.#events.emit({ type: 'signaling-restored' });
        this.#log.info('signaling connection restored');
        return;
      } catch (err) {
        // ADDRESS_IN_USE here is our own stale registration, until the server notices it is gone.
        if (!(err instanceof AddressInUseError) && attempt === 0)
          this.#log.warn(`signaling: ${(err as Error).message}`);
      }
    }
  }

  #onSignaling(message: ServerMessage): void {
    switch (message.type) {
      case 'peer': {
        const existing = this.#peers.get(message.peer);
        // After a signaling restart the server re-announces workers we already serve.
        if (existing?.connection.authenticated) return;
        existing?.connection.close();
        const admission = this.#guesses.admit(`worker ${message.peer}`);
        if (!admission.ok) {
          // Not answered at all: the peer's connection attempt times out on its side.
          this.#events.emit({ type: 'worker-refused', peer: message.peer, reason: admission.reason });
          return;
        }
        this.#accept(message.peer);
        return;
      }
      case 'signal': {
        const peer = this.#peers.get(message.from);
        if (!peer) return;
        try {
          void peer.link.handleSignal(parseLinkSignal(message.data));
        } catch (err) {
          this.#log.warn(`worker ${message.from}: ${(err as Error).message}`);
          peer.connection.close();
        }
        return;
      }
      case 'peer-left': {
        const peer = this.#peers.get(message.peer);
        // A worker leaves signaling as soon as it has verified us, which can be just before we have
        // verified it: a handshake under way on an open channel finishes (or times out) on its own.
        if (peer && !peer.connection.authenticated && !peer.link.isOpen) peer.connection.close();
        return;
      }
      default:
        return;
    }
  }

  #accept(peerId: string): void {
    const link = new PeerLink({
      platform: this.#options.platform,
      offerer: false,
      iceServers: this.#iceServers,
      connectTimeoutMs: this.#options.connectTimeoutMs,
      sendSignal: (data) => this.#signaling?.send({ type: 'signal', to: peerId, data }),
    });
    const connection = new Connection({
      link,
      role: 'master',
      authkey: this.#options.authkey,
      registry: this.#registry,
      logger: this.#log,
      label: `worker ${peerId}`,
      peer: peerId,
      ...connectionSettings(this.#options),
      onClose: (reason) => {
        if (this.#peers.get(peerId)?.connection === connection) this.#peers.delete(peerId);
        if (connection.authenticated) this.#reportLeft(peerId, reason);
        else this.#reportRefused(peerId, reason, connection.guessSpent);
      },
    });
    this.#peers.set(peerId, { link, connection });
    this.#events.emit({ type: 'worker-connecting', peer: peerId });
    connection.ready.then(
      async () => {
        this.#guesses.settle(`worker ${peerId}`, 'authenticated');
        const path = await link.selectedPath();
        // Unless it left meanwhile (then worker-left has been reported already).
        if (this.#peers.get(peerId)?.connection !== connection) return;
        this.#events.emit({ type: 'worker-authenticated', peer: peerId, ...(path && { path }) });
      },
      () => {},
    );
  }

  /** A worker that had authenticated is gone: said goodbye, or was lost. */
  #reportLeft(peerId: string, reason: Error | undefined): void {
    if (reason instanceof PeerShutdownError) this.#log.info(`worker ${peerId} disconnected`);
    else if (reason && !this.#stopped) this.#log.warn(`worker ${peerId} left: ${reason.message}`);
    this.#events.emit({ type: 'worker-left', peer: peerId, reason: reason?.message ?? 'closed' });
  }

  /**
   * A peer closed before it authenticated: a wrong key is an event and a
   * guess; so is a peer that hangs up after our key confirmation (it has
   * learnt whether its key was right); anything else only a log line.
   */
  #reportRefused(peerId: string, reason: Error | undefined, guessSpent: boolean): void {
    if (reason instanceof AuthenticationError || guessSpent) {
      const why =
        reason instanceof AuthenticationError
          ? reason.message
          : 'it hung up after the key confirmation without proving the authkey';
      this.#guesses.settle(`worker ${peerId}`, 'failed', `worker ${peerId} failed authentication: ${why}`);
      this.#events.emit({ type: 'auth-failed', peer: peerId, reason: why });
      return;
    }
    this.#guesses.settle(`worker ${peerId}`, 'dropped');
    if (reason && !this.#stopped) this.#log.warn(`worker ${peerId} dropped before authenticating: ${reason.message}`);
  }

  workers(): WorkerInfo[] {
    return [...this.#peers].map(([peer, { connection }]) => ({
      peer,
      authenticated: connection.authenticated,
      agent: connection.peerAgent,
      calls: Object.fromEntries(connection.callCounts()),
    }));
  }

  /** Tells every worker we are shutting down, then closes everything. */
  async stop(reason: string): Promise<void> {
    this.#stopped = true;
    // The server tells waiting workers (and latecomers, for a while) that this run is over.
    this.#signaling?.close(CLOSE_MASTER_FINISHED, 'master shut down');
    await Promise.all([...this.#peers.values()].map(({ connection }) => connection.bye(reason)));
    this.#peers.clear();
    // Last, so that handshakes failing while we close are in the burst's summary.
    this.#guesses.close();
  }
}
