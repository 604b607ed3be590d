import { type SignalingServer, startSignalingServer } from '../../signaling/index.js';

/** A real signaling server on a free loopback port, quiet unless a test fails. */
export async function startTestSignaling(
  options: Parameters<typeof startSignalingServer>[0] = {},
): Promise<SignalingServer> {
  return startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...options });
}

let roomCounter = 0;
/** A fresh room name per test, so tests sharing a server never collide. */
export function freshRoom(prefix = 'room'): string {
  roomCounter += 1;
  return `${prefix}-${process.pid}-${roomCounter}`;
}
