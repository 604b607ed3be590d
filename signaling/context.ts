/** What connections and message handlers share: options, rooms, counters and the logger. */
import type { Logger } from 'pino';
import type { SignalingOptions } from './config.js';
import type { SignalingCounters } from './metrics.js';
import type { RoomRegistry } from './rooms.js';

export interface ServerContext {
  readonly options: SignalingOptions;
  readonly rooms: RoomRegistry;
  readonly counters: SignalingCounters;
  readonly log: Logger;
}
