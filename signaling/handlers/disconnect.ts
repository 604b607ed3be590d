/**
 * A registered client's socket closed: it leaves its room; a master's workers
 * get `master-left` (they stay and wait for the next master), a worker's
 * master gets `peer-left`. A master that closes with CLOSE_MASTER_FINISHED
 * shut down cleanly: its workers' `master-left` says `finished`, and the room
 * remembers it for a while (finished-rooms.ts).
 */
import { CLOSE_MASTER_FINISHED } from '../../shared/signaling/protocol.js';
import type { ClientConnection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { type PeerHandle, settle } from '../directory.js';
import type { RoomMember } from '../rooms.js';

export function handleDisconnect(connection: ClientConnection, ctx: ServerContext, closeCode?: number): void {
  const member = connection.member;
  if (!member || connection.room === undefined) return;
  const finished = member.role === 'master' && closeCode === CLOSE_MASTER_FINISHED;
  if (finished) ctx.finished.mark(connection.room, member.id);
  settle(ctx.rooms.leave(connection.room, member), sendDepartures(member, finished), (err) =>
    connection.log.warn({ err, peer: member.id }, 'leave failed'),
  );
}

/** Tells `member`'s counterparts it has gone; `finished`: a master whose run is over. */
export function sendDepartures(member: RoomMember, finished = false): (counterparts: readonly PeerHandle[]) => void {
  return (counterparts) => {
    for (const counterpart of counterparts) {
      if (member.role === 'master') {
        counterpart.send({ type: 'master-left', peer: member.id, ...(finished && { finished: true }) });
      } else {
        counterpart.send({ type: 'peer-left', peer: member.id });
      }
    }
  };
}
