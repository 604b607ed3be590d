/**
 * `register`: joins the room named by the URL as master or worker, replies
 * `registered` (with ICE servers, and this peer's own TURN credentials when a
 * TURN secret is configured), then pairs: a new master meets every waiting
 * worker, a new worker meets the room's master.
 */
import { randomBytes } from 'node:crypto';
import type { RegisterMessage } from '../../shared/signaling/protocol.js';
import type { IceServer } from '../../shared/webrtc/platform.js';
import type { ClientConnection } from '../connection.js';
import type { ServerContext } from '../context.js';
import { type PeerHandle, settle } from '../directory.js';
import type { JoinRefusal, RoomMember } from '../rooms.js';
import { turnIceServer } from '../turn-credentials.js';
import { sendDepartures } from './disconnect.js';

/** Random bytes in a server-made peer id: 128 bits, so ids cannot be guessed or collide (22 base64url chars). */
const PEER_ID_BYTES = 16;

const REFUSAL_REASONS: Record<JoinRefusal | 'UNAVAILABLE', string> = {
  ADDRESS_IN_USE: 'a master already serves this room',
  DUPLICATE_ID: 'this id is already used in the room',
  ROOM_FULL: 'the room holds the maximum number of peers',
  TOO_MANY_ROOMS: 'the server holds the maximum number of rooms',
  UNAVAILABLE: 'this signaling node cannot reach the cluster (Redis) now; try another node or later',
};

export function handleRegister(connection: ClientConnection, message: RegisterMessage, ctx: ServerContext): void {
  if (connection.member) {
    connection.reject('ALREADY_REGISTERED', `already registered as ${connection.member.role} ${connection.member.id}`);
    return;
  }
  if (connection.isRegistering) {
    connection.reject('ALREADY_REGISTERED', 'a register is already being processed');
    return;
  }
  // The server refuses connections without a valid room before any message, so this always holds.
  const roomName = connection.room;
  if (roomName === undefined) return;
  const id = message.id ?? randomBytes(PEER_ID_BYTES).toString('base64url');
  const member: RoomMember = {
    id,
    role: message.role,
    send: (reply) => connection.send(reply),
    sendText: (text) => connection.sendText(text),
  };
  // A cluster's directory answers later: until then the connection is neither idle nor registered.
  connection.registering();
  settle(
    ctx.rooms.join(roomName, member),
    (joined) => {
      connection.registeringDone();
      if (!connection.open) {
        // The client left while the cluster was being asked: take the place back.
        if (joined.ok) settle(ctx.rooms.leave(roomName, member), sendDepartures(member), () => {});
        return;
      }
      if (!joined.ok) {
        connection.reject(joined.code, REFUSAL_REASONS[joined.code]);
        return;
      }
      connection.registered(member);
      connection.log.info({ peer: id, role: member.role }, 'registered');
      member.send({ type: 'registered', id, role: member.role, room: roomName, iceServers: iceServersFor(id, ctx) });
      if (member.role === 'master') ctx.finished.clear(roomName);
      for (const counterpart of joined.counterparts) {
        if (member.role === 'master') pair(member, counterpart, ctx);
        else pair(counterpart, member, ctx);
      }
      if (member.role === 'worker' && joined.counterparts.length === 0) {
        // A latecomer to a run that just ended: say so (it may still wait for a next master).
        const finished = ctx.finished.get(roomName);
        if (finished) member.send({ type: 'master-left', peer: finished.peer, finished: true });
      }
    },
    (err) => {
      connection.registeringDone();
      connection.log.warn({ err, peer: id }, 'register failed');
      connection.reject('UNAVAILABLE', REFUSAL_REASONS.UNAVAILABLE);
    },
  );
}

function iceServersFor(peerId: string, ctx: ServerContext): IceServer[] {
  const { iceServers, turnSecret, turnUrls, turnTtlSeconds } = ctx.options;
  const servers = iceServers.map((server) => ({ ...server }));
  if (turnSecret !== undefined) servers.push(turnIceServer({ turnSecret, turnUrls, turnTtlSeconds }, peerId));
  return servers;
}

/** Introduces a master and a worker; the worker then makes the WebRTC offer. */
function pair(master: PeerHandle, worker: PeerHandle, ctx: ServerContext): void {
  master.send({ type: 'peer', peer: worker.id });
  worker.send({ type: 'master', peer: master.id });
  ctx.counters.pairings += 1;
}
