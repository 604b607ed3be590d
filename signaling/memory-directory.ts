/**
 * The default room directory: one process, rooms in memory (`RoomRegistry`).
 * Every answer is immediate, so the server behaves exactly as before the
 * directory existed.
 */
import type { DeliveryOutcome, JoinOutcome, PeerHandle, RoomDirectory, SignalTarget } from './directory.js';
import { type RoomMember, RoomRegistry } from './rooms.js';

const DELIVERED: DeliveryOutcome = 'delivered';

export class MemoryDirectory implements RoomDirectory {
  private readonly rooms: RoomRegistry;

  constructor(limits: { readonly maxRooms: number; readonly maxPeersPerRoom: number }) {
    this.rooms = new RoomRegistry(limits);
  }

  join(name: string, member: RoomMember): JoinOutcome {
    const joined = this.rooms.join(name, member);
    if (!joined.ok) return joined;
    const { room } = joined;
    if (member.role === 'master') return { ok: true, counterparts: [...room.workers.values()] };
    return { ok: true, counterparts: room.master ? [room.master] : [] };
  }

  leave(name: string, member: RoomMember): readonly PeerHandle[] {
    const room = this.rooms.leave(name, member);
    if (!room) return [];
    if (member.role === 'master') return [...room.workers.values()];
    return room.master ? [room.master] : [];
  }

  signalTarget(name: string, sender: RoomMember, to: string): SignalTarget | undefined {
    const target = localCounterpart(this.rooms, name, sender, to);
    return target && deliverTo(target);
  }

  workerCount(name: string): number {
    return this.rooms.get(name)?.workers.size ?? 0;
  }

  get roomCount(): number {
    return this.rooms.roomCount;
  }

  get masters(): number {
    return this.rooms.masters;
  }

  get workers(): number {
    return this.rooms.workers;
  }

  clusterStats(): undefined {
    return undefined;
  }

  async close(): Promise<void> {}
}

/** `sender`'s counterpart `to` among the peers in `rooms`: the room's master for a worker, a worker for the master. */
export function localCounterpart(
  rooms: RoomRegistry,
  name: string,
  sender: RoomMember,
  to: string,
): RoomMember | undefined {
  const room = rooms.get(name);
  if (sender.role === 'worker') return room?.master?.id === to ? room.master : undefined;
  return room?.workers.get(to);
}

/** A local member as a signal target: delivery is a send on its socket. */
export function deliverTo(member: RoomMember): SignalTarget {
  return {
    deliver: (text) => {
      member.sendText(text);
      return DELIVERED;
    },
  };
}
