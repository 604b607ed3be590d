/**
 * A registered client's socket closed: it leaves its room; a master's workers
 * get `master-left` (they stay and wait for the next master), a worker's
 * master gets `peer-left`.
 */
import type { ClientConnection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { type PeerHandle, settle } from '../directory.js';
import type { RoomMember } from '../rooms.js';

export function handleDisconnect(connection: ClientConnection, ctx: ServerContext): void {
  const member = connection.member;
  if (!member || connection.room === undefined) return;
  settle(ctx.rooms.leave(connection.room, member), sendDepartures(member), (err) =>
    connection.log.warn({ err, peer: member.id }, 'leave failed'),
  );
}

/** Tells `member`'s counterparts it has gone. */
export function sendDepartures(member: RoomMember): (counterparts: readonly PeerHandle[]) => void {
  return (counterparts) => {
    for (const counterpart of counterparts) {
      counterpart.send({ type: member.role === 'master' ? 'master-left' : 'peer-left', peer: member.id });
    }
  };
}
