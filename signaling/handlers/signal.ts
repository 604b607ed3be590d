/**
 * `signal`: relays opaque `data` between a worker and the master of its room
 * (either direction), never between two workers or across rooms.
 */
import type { SignalOutMessage } from '../../shared/signaling/protocol.js';
import type { ClientConnection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { settle } from '../directory.js';
import { echoPeerId } from '../messages.js';
import type { RoomMember } from '../rooms.js';

export function handleSignal(
  connection: ClientConnection,
  sender: RoomMember,
  message: SignalOutMessage,
  ctx: ServerContext,
): void {
  const target =
    connection.room === undefined ? undefined : ctx.rooms.signalTarget(connection.room, sender, message.to);
  const unknownPeer = () => {
    const wanted = sender.role === 'worker' ? 'master' : 'worker';
    connection.reject('UNKNOWN_PEER', `no ${wanted} ${echoPeerId(message.to)} in this room`);
  };
  if (!target) {
    unknownPeer();
    return;
  }
  let text: string;
  try {
    // Serialized here, not in the recipient's send, so a hostile payload is the sender's error.
    text = JSON.stringify({ type: 'signal', from: sender.id, data: message.data });
  } catch {
    connection.reject('BAD_MESSAGE', '`data` cannot be relayed (nested too deeply)');
    return;
  }
  settle(
    target.deliver(text),
    (outcome) => {
      if (outcome === 'delivered') ctx.counters.messagesRelayed += 1;
      else if (outcome === 'unknown-peer') unknownPeer();
    },
    (err) => connection.log.warn({ err, peer: sender.id }, 'relay failed'),
  );
}
