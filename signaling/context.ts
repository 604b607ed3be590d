/** What connections and message handlers share: options, rooms, counters and the logger. */
import type { Logger } from 'pino';
import type { SignalingOptions } from './config.js';
import type { RoomDirectory } from './directory.js';
import type { FinishedRooms } from './finished-rooms.js';
import type { SignalingCounters } from './metrics.js';

export interface ServerContext {
  readonly options: SignalingOptions;
  readonly rooms: RoomDirectory;
  /** Rooms whose master shut down cleanly a moment ago (this node's own memory, also in a cluster). */
  readonly finished: FinishedRooms;
  readonly counters: SignalingCounters;
  readonly log: Logger;
}
