/**
 * The worker's side: finds the room's master through signaling, opens a peer
 * connection to it and authenticates. Waits (retrying with backoff) for the
 * signaling server and the master up to the `wait` limit; retries a peer
 * connection that fails to open (ICE/DTLS flakes); never retries a wrong key.
 * A master that leaves while we connect is acted on at once: a crashed one is
 * waited for again, one that shut down ends the search with PeerShutdownError
 * (its run is over).
 */
import { backoffDelay, sleep } from '../backoff.js';
import {
  AuthenticationError,
  ConnectionClosedError,
  ConnectTimeoutError,
  PeerShutdownError,
  ProtocolError,
} from '../errors.js';
import { consoleLogger } from '../logger.js';
import { SignalingClient } from '../signaling/client.js';
import { type ServerMessage, withoutQuery } from '../signaling/protocol.js';
import { PeerLink, parseLinkSignal } from '../webrtc/peer-link.js';
import { Connection } from '../wire/connection.js';
import type { EventHub } from './events.js';
import { connectionSettings, type ResolvedOptions, randomPeerId } from './options.js';

/** An attempt that failed before reaching the signaling server (refused, unresolvable, silent). */
class SignalingUnreachable extends ConnectionClosedError {}

/** Errors after which searching on cannot help: a wrong key, a master that ended, a master of another version. */
function isFinal(err: unknown): boolean {
  return (
    err instanceof AuthenticationError ||
    err instanceof PeerShutdownError ||
    (err instanceof ProtocolError && err.code === 'VERSION_MISMATCH')
  );
}

/**
 * What signaling says about the room's master during one attempt: the master
 * can be announced in the same tick as `registered`, before anyone waits, and
 * can leave at any moment after.
 */
class MasterWatch {
  #master: string | undefined;
  /** The room's master shut down cleanly: its run is over, and no search can help. */
  #finished: PeerShutdownError | undefined;
  /** The signaling server went away while we waited: this try ends, the next one asks another server. */
  #serverLost: Error | undefined;
  #wake: (() => void) | undefined;
  /** Called when the watched master leaves (set once a connection to it is under way). */
  onLeft: ((reason: Error) => void) | undefined;

  constructor(private readonly room: string) {}

  get master(): string | undefined {
    return this.#master;
  }

  handle(message: ServerMessage): void {
    if (message.type === 'master') {
      this.#master = message.peer;
      this.#finished = undefined;
    } else if (message.type === 'master-left' && (this.#master === undefined || message.peer === this.#master)) {
      const finished = message.finished
        ? new PeerShutdownError('MASTER_FINISHED', `the master of room ${this.room} shut down: its run is over`)
        : undefined;
      this.#finished = finished;
      if (message.peer === this.#master) {
        this.onLeft?.(
          finished ??
            new ConnectionClosedError('MASTER_LEFT', `the master of room ${this.room} left while we were connecting`),
        );
      }
      this.#master = undefined;
    } else {
      return;
    }
    this.#wake?.();
  }

  serverLost(reason: Error): void {
    this.#serverLost = reason;
    this.#wake?.();
  }

  /** Resolves with the master's id once announced; rejects when it finished, or after `timeoutMs`. */
  async next(timeoutMs: number): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.#master !== undefined) return this.#master;
      if (this.#finished) throw this.#finished;
      if (this.#serverLost) throw this.#serverLost;
      const left = deadline - performance.now();
      if (left <= 0) throw new ConnectTimeoutError('NO_MASTER', `no master on room ${this.room} yet`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}

export class WorkerClient {
  readonly #options: ResolvedOptions;
  readonly #events: EventHub;

  constructor(options: ResolvedOptions, events: EventHub) {
    this.#options = options;
    this.#events = events;
  }

  /** Resolves with an authenticated connection to the master. */
  async connect(): Promise<Connection> {
    const deadline = performance.now() + this.#options.waitMs;
    let lastError: Error | undefined;
    let reported = false;
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - performance.now();
      if (remaining <= 0 && attempt > 0) break;
      try {
        return await this.#attempt(Math.max(remaining, 0), attempt > 0 ? deadline : undefined);
      } catch (err) {
        if (isFinal(err)) throw err;
        lastError = err as Error;
        // Said at once (and once per outage), so that a wrong address is not a silent wait.
        if (err instanceof SignalingUnreachable && !reported) {
          const retryFor = Math.max(Math.round((deadline - performance.now()) / 1000), 0);
          const url = withoutQuery(this.#options.url);
          this.#events.emit({ type: 'signaling-unreachable', url, reason: err.message, retryFor });
        }
        reported = err instanceof SignalingUnreachable;
      }
      await sleep(Math.min(backoffDelay(attempt), Math.max(deadline - performance.now(), 0)));
    }
    throw new ConnectTimeoutError(
      'NO_MASTER',
      `no master reachable at ${withoutQuery(this.#options.address)} within ${this.#options.waitMs / 1000} s` +
        (lastError ? ` (last error: ${lastError.message})` : ''),
      { cause: lastError },
    );
  }

  /**
   * One try: register, wait for the master, open and authenticate a peer connection.
   * A retry's peer connection gets only the time left before `deadline`, so that
   * `wait` bounds the whole search (the first try always gets the full connect timeout).
   */
  async #attempt(waitMs: number, deadline: number | undefined): Promise<Connection> {
    const watch = new MasterWatch(this.#options.room);
    let link: PeerLink | undefined;
    const signaling = new SignalingClient({
      platform: this.#options.platform,
      url: this.#options.url,
      servers: this.#options.servers,
      role: 'worker',
      // A fresh id per attempt: the server may still hold a previous attempt's registration.
      id: randomPeerId(),
      onMessage: (message: ServerMessage) => {
        if (message.type === 'signal') {
          if (message.from === watch.master && link) this.#relay(link, message.data);
        } else {
          watch.handle(message);
        }
      },
      onDisconnect: (reason) => watch.serverLost(reason),
    });
    try {
      const registered = await signaling.connect().catch((err: Error) => {
        throw err instanceof ConnectionClosedError
          ? new SignalingUnreachable('SIGNALING_UNREACHABLE', err.message, { cause: err })
          : err;
      });
      const masterId = await watch.next(Math.max(waitMs, 1));
      link = new PeerLink({
        platform: this.#options.platform,
        offerer: true,
        iceServers: this.#options.iceServers ?? registered.iceServers,
        connectTimeoutMs: this.#linkTimeout(deadline),
        sendSignal: (data) => signaling.send({ type: 'signal', to: masterId, data }),
      });
      const connection = this.#open(link);
      // The master left before we were through: stop now rather than wait out the connect timeout.
      watch.onLeft = (reason) => connection.close(reason);
      await connection.ready;
      this.#events.emit({ type: 'master-connected', peer: masterId });
      return connection;
    } finally {
      // The peer connection no longer needs signaling; the room slot is freed for others.
      signaling.close();
    }
  }

  #relay(link: PeerLink, data: unknown): void {
    try {
      void link.handleSignal(parseLinkSignal(data));
    } catch {
      link.close();
    }
  }

  #linkTimeout(deadline: number | undefined): number {
    const { connectTimeoutMs } = this.#options;
    if (deadline === undefined) return connectTimeoutMs;
    return Math.min(connectTimeoutMs, Math.max(Math.round(deadline - performance.now()), 1));
  }

  #open(link: PeerLink): Connection {
    const connection = new Connection({
      link,
      role: 'worker',
      authkey: this.#options.authkey,
      logger: this.#options.logger ?? consoleLogger,
      label: 'master',
      ...connectionSettings(this.#options),
      onClose: (reason) => {
        if (connection.authenticated) {
          this.#events.emit({ type: 'master-lost', reason: reason?.message ?? 'closed' });
        }
      },
    });
    return connection;
  }
}
