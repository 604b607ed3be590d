/**
 * Rooms: at most one master and any number of workers (up to the limit),
 * keyed by the room name taken from the URL path. Pure state: who is where.
 * The messages that pairing and leaving produce are sent by the handlers.
 */
import type { Role, ServerMessage, SignalingErrorCode } from '../shared/signaling/protocol.js';
import { FinishedRooms } from './finished-rooms.js';

/** A registered client as the rooms see it. */
export interface RoomMember {
  readonly id: string;
  readonly role: Role;
  send(message: ServerMessage): void;
  /** Sends an already serialized message (relayed signals are serialized once, by the sender's handler). */
  sendText(text: string): void;
}

export class Room {
  master: RoomMember | undefined;
  readonly workers = new Map<string, RoomMember>();

  constructor(readonly name: string) {}

  get size(): number {
    return this.workers.size + (this.master ? 1 : 0);
  }

  has(id: string): boolean {
    return this.master?.id === id || this.workers.has(id);
  }
}

export type JoinRefusal = Extract<
  SignalingErrorCode,
  'ADDRESS_IN_USE' | 'DUPLICATE_ID' | 'ROOM_FULL' | 'TOO_MANY_ROOMS'
>;
export type JoinResult = { ok: true; room: Room } | { ok: false; code: JoinRefusal };

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  private masterCount = 0;
  private workerCount = 0;
  /** Rooms whose master shut down cleanly a moment ago. */
  readonly finished: FinishedRooms;

  constructor(private readonly limits: { readonly maxRooms: number; readonly maxPeersPerRoom: number }) {
    this.finished = new FinishedRooms(limits.maxRooms);
  }

  /** Adds `member` to the room `name`, creating the room if needed and allowed. */
  join(name: string, member: RoomMember): JoinResult {
    const existing = this.rooms.get(name);
    if (!existing && this.rooms.size >= this.limits.maxRooms) return { ok: false, code: 'TOO_MANY_ROOMS' };
    if (existing) {
      // Same order as binding a socket: the address first, then the rest.
      if (member.role === 'master' && existing.master) return { ok: false, code: 'ADDRESS_IN_USE' };
      if (existing.has(member.id)) return { ok: false, code: 'DUPLICATE_ID' };
      if (existing.size >= this.limits.maxPeersPerRoom) return { ok: false, code: 'ROOM_FULL' };
    }
    const room = existing ?? new Room(name);
    if (!existing) this.rooms.set(name, room);
    if (member.role === 'master') {
      room.master = member;
      this.masterCount += 1;
      this.finished.clear(name);
    } else {
      room.workers.set(member.id, member);
      this.workerCount += 1;
    }
    return { ok: true, room };
  }

  /** Removes `member` (compared by identity); returns its room, or undefined if it was not there. Empty rooms go. */
  leave(name: string, member: RoomMember): Room | undefined {
    const room = this.rooms.get(name);
    if (!room) return undefined;
    if (room.master === member) {
      room.master = undefined;
      this.masterCount -= 1;
    } else if (room.workers.get(member.id) === member) {
      room.workers.delete(member.id);
      this.workerCount -= 1;
    } else {
      return undefined;
    }
    if (room.size === 0) this.rooms.delete(name);
    return room;
  }

  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  get masters(): number {
    return this.masterCount;
  }

  get workers(): number {
    return this.workerCount;
  }
}
