/**
 * A registered client's socket closed: it leaves its room; a master's workers
 * get `master-left` (they stay and wait for the next master), a worker's
 * master gets `peer-left`.
 */
import type { ClientConnection } from '../connection.js';
import type { ServerContext } from '../context.js';

export function handleDisconnect(connection: ClientConnection, ctx: ServerContext): void {
  const member = connection.member;
  if (!member || connection.room === undefined) return;
  const room = ctx.rooms.leave(connection.room, member);
  if (!room) return;
  if (member.role === 'master') {
    for (const worker of room.workers.values()) worker.send({ type: 'master-left', peer: member.id });
  } else {
    room.master?.send({ type: 'peer-left', peer: member.id });
  }
}
