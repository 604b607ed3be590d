/** What connections and message handlers share: options, rooms, counters and the logger. */
import type { Logger } from 'pino';
import type { SignalingOptions } from './config.js';
import type { RoomDirectory } from './directory.js';
import type { SignalingCounters } from './metrics.js';

export interface ServerContext {
  readonly options: SignalingOptions;
  readonly rooms: RoomDirectory;
  readonly counters: SignalingCounters;
  readonly log: Logger;
}
