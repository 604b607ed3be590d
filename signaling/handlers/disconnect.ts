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

export function handleDisconnect(connection: ClientConnection, ctx: ServerContext, closeCode?: number): void {
  const member = connection.member;
  if (!member || connection.room === undefined) return;
  const room = ctx.rooms.leave(connection.room, member);
  if (!room) return;
  if (member.role === 'master') {
    const finished = closeCode === CLOSE_MASTER_FINISHED;
    if (finished) ctx.rooms.finished.mark(connection.room, member.id);
    for (const worker of room.workers.values()) {
      worker.send({ type: 'master-left', peer: member.id, ...(finished && { finished: true }) });
    }
  } else {
    room.master?.send({ type: 'peer-left', peer: member.id });
  }
}
