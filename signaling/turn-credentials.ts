/**
 * Ephemeral TURN credentials, the "TURN REST API" scheme that coturn's
 * `use-auth-secret` / `static-auth-secret` implements: the TURN server shares
 * a secret with us, we hand each peer
 *   username   = "<expiry unix seconds>:<peer id>"
 *   credential = base64(HMAC-SHA1(secret, username))
 * and the TURN server recomputes the HMAC and refuses expired usernames. The
 * secret itself never leaves the server.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '../shared/webrtc/platform.js';

export interface TurnCredentials {
  readonly username: string;
  readonly credential: string;
  /** Unix time (seconds) after which the TURN server refuses them. */
  readonly expiresAt: number;
}

export function makeTurnCredentials(
  secret: string,
  peerId: string,
  ttlSeconds: number,
  nowMs: number = Date.now(),
): TurnCredentials {
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiresAt}:${peerId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt };
}

/** The ICE server entry handed to one peer. */
export function turnIceServer(
  config: { readonly turnSecret: string; readonly turnUrls: readonly string[]; readonly turnTtlSeconds: number },
  peerId: string,
  nowMs: number = Date.now(),
): IceServer {
  const { username, credential } = makeTurnCredentials(config.turnSecret, peerId, config.turnTtlSeconds, nowMs);
  return { urls: [...config.turnUrls], username, credential };
}
