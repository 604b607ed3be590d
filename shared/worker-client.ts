/**
 * The worker's side: finds the room's master through signaling, opens a peer
 * connection to it and authenticates. Waits (retrying with backoff) for the
 * signaling server and the master up to the `wait` limit; retries a peer
 * connection that fails to open (ICE/DTLS flakes); never retries a wrong key.
 */
import { backoffDelay, sleep } from './backoff.js';
import { Connection } from './connection.js';
import { AuthenticationError, ConnectTimeoutError } from './errors.js';
import type { EventHub } from './events.js';
import { consoleLogger } from './logger.js';
import { connectionSettings, type ResolvedOptions, randomPeerId } from './options.js';
import { PeerLink, parseLinkSignal } from './peer-link.js';
import { SignalingClient } from './signaling-client.js';
import type { ServerMessage } from './signaling-protocol.js';

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
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - performance.now();
      if (remaining <= 0 && attempt > 0) break;
      try {
        return await this.#attempt(Math.max(remaining, 0), attempt > 0 ? deadline : undefined);
      } catch (err) {
        if (err instanceof AuthenticationError) throw err;
        lastError = err as Error;
      }
      await sleep(Math.min(backoffDelay(attempt), Math.max(deadline - performance.now(), 0)));
    }
    throw new ConnectTimeoutError(
      `no master reachable at ${this.#options.address} within ${this.#options.waitMs / 1000} s` +
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
    // `master` can arrive in the same tick as `registered`: remember it until someone waits.
    let announcedMaster: string | undefined;
    let onMaster: (peer: string) => void = (peer) => {
      announcedMaster = peer;
    };
    let link: PeerLink | undefined;
    let masterId: string | undefined;
    // A server that goes away while we wait for the master ends this try: the next one asks another server.
    let onLost: (reason: Error) => void = () => {};
    const signaling = new SignalingClient({
      platform: this.#options.platform,
      url: this.#options.url,
      servers: this.#options.servers,
      role: 'worker',
      // A fresh id per attempt: the server may still hold a previous attempt's registration.
      id: randomPeerId(),
      onMessage: (message: ServerMessage) => {
        if (message.type === 'master') onMaster(message.peer);
        else if (message.type === 'signal' && message.from === masterId && link) {
          try {
            void link.handleSignal(parseLinkSignal(message.data));
          } catch {
            link.close();
          }
        }
      },
      onDisconnect: (reason) => onLost(reason),
    });
    try {
      const registered = await signaling.connect();
      const iceServers = this.#options.iceServers ?? registered.iceServers;
      masterId = await new Promise<string>((resolve, reject) => {
        if (announcedMaster !== undefined) {
          resolve(announcedMaster);
          return;
        }
        const timer = setTimeout(
          () => reject(new ConnectTimeoutError(`no master on room ${this.#options.room} yet`)),
          Math.max(waitMs, 1),
        );
        onMaster = (peer) => {
          clearTimeout(timer);
          resolve(peer);
        };
        onLost = (reason) => {
          clearTimeout(timer);
          reject(reason);
        };
      });
      const to = masterId;
      link = new PeerLink({
        platform: this.#options.platform,
        offerer: true,
        iceServers,
        connectTimeoutMs:
          deadline === undefined
            ? this.#options.connectTimeoutMs
            : Math.min(this.#options.connectTimeoutMs, Math.max(Math.round(deadline - performance.now()), 1)),
        sendSignal: (data) => signaling.send({ type: 'signal', to, data }),
      });
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
      await connection.ready;
      this.#events.emit({ type: 'master-connected', peer: to });
      return connection;
    } finally {
      // The peer connection no longer needs signaling; the room slot is freed for others.
      signaling.close();
    }
  }
}
