/**
 * What one cluster node sends another through Redis: a message for one of the
 * receiving node's peers, already serialized the way the peer gets it.
 *
 *   <room> "\n" <peer id> "\n" <text>
 *
 * Room names and peer ids cannot contain newlines, so the text needs no
 * escaping and is forwarded byte for byte. Envelopes are checked on arrival
 * like any input: Redis is shared infrastructure, not part of this process.
 */
import { MAX_ROOM_LENGTH, PEER_ID_PATTERN, ROOM_PATTERN } from '../shared/signaling/protocol.js';

export interface Envelope {
  readonly room: string;
  readonly to: string;
  readonly text: string;
}

export function encodeEnvelope(room: string, to: string, text: string): string {
  return `${room}\n${to}\n${text}`;
}

/** The envelope, or undefined for anything malformed (counted and dropped by the caller). */
export function decodeEnvelope(payload: string, maxTextChars: number): Envelope | undefined {
  const first = payload.indexOf('\n');
  if (first <= 0 || first > MAX_ROOM_LENGTH) return undefined;
  const second = payload.indexOf('\n', first + 1);
  if (second < 0) return undefined;
  const room = payload.slice(0, first);
  const to = payload.slice(first + 1, second);
  const text = payload.slice(second + 1);
  if (!ROOM_PATTERN.test(room) || !PEER_ID_PATTERN.test(to) || text.length === 0 || text.length > maxTextChars) {
    return undefined;
  }
  return { room, to, text };
}
