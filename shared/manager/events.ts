import type { PeerPath } from '../webrtc/peer-link.js';

/** What a manager reports about its peers (for CLIs, pages and tests). */
export type ManagerEvent =
  | { type: 'worker-connecting'; peer: string }
  | { type: 'worker-authenticated'; peer: string; path?: PeerPath }
  | { type: 'worker-left'; peer: string; reason: string }
  | { type: 'auth-failed'; peer: string; reason: string }
  /** An unproven worker was not let in: too many failed handshakes (see shared/guess-limiter.ts). */
  | { type: 'worker-refused'; peer: string; reason: string }
  | { type: 'signaling-lost'; reason: string }
  /** Worker: the signaling server could not be reached; retrying (with backoff) for `retryFor` seconds more. */
  | { type: 'signaling-unreachable'; url: string; reason: string; retryFor: number }
  | { type: 'signaling-restored' }
  | { type: 'master-connected'; peer: string }
  | { type: 'master-lost'; reason: string };

export type ManagerEventListener = (event: ManagerEvent) => void;

/** A minimal typed listener list (no Node EventEmitter in shared/). */
export class EventHub {
  readonly #listeners = new Set<ManagerEventListener>();

  on(listener: ManagerEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: ManagerEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not break the connection that reported the event.
      }
    }
  }
}
