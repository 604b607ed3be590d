/**
 * Routes a parsed client message to its handler (one small file per type).
 * Only `register` is accepted before registration.
 */
import type { ClientMessage } from '../../shared/signaling/protocol.js';
import type { ClientConnection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { handlePing } from './ping.js';
import { handleRegister } from './register.js';
import { handleSignal } from './signal.js';

export function dispatch(connection: ClientConnection, message: ClientMessage, ctx: ServerContext): void {
  if (message.type === 'register') {
    handleRegister(connection, message, ctx);
    return;
  }
  const member = connection.member;
  if (!member) {
    connection.reject('NOT_REGISTERED', `send {"type":"register"} before "${message.type}"`);
    return;
  }
  switch (message.type) {
    case 'signal':
      handleSignal(connection, member, message, ctx);
      return;
    case 'ping':
      handlePing(connection);
      return;
  }
}
