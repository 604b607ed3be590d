/** `ping` -> `pong`: an application-level liveness check for clients that cannot see WebSocket pings (browsers). */
import type { ClientConnection } from '../connection.js';

export function handlePing(connection: ClientConnection): void {
  connection.send({ type: 'pong' });
}
