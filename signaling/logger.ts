/**
 * The default logger: pino JSON lines on stderr (stdout is left for the one
 * human-readable "listening" line of the CLI). Written synchronously, so the
 * last lines before an exit are not lost; the volume is a few lines per
 * connection. Nothing secret is ever passed to it (see upgrade-request.ts).
 */
import { type Logger, pino } from 'pino';
import type { SignalingOptions } from './config.js';

/** Bound to every line so the server's lines can be told apart from the rest of a process's logs. */
const COMPONENT = 'signaling';

export function createLogger(options: Pick<SignalingOptions, 'logger' | 'logLevel'>): Logger {
  if (options.logger) return options.logger.child({ component: COMPONENT });
  return pino(
    {
      level: options.logLevel,
      base: { pid: process.pid, component: COMPONENT },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: 2, sync: true }),
  );
}
