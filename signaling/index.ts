/** Public API of the signaling server. */
export { parseSignalArgs, runSignalCommand, SIGNAL_USAGE } from './cli.js';
export {
  DEFAULT_SIGNALING_OPTIONS,
  type LogLevel,
  resolveOptions,
  type SignalingOptions,
  type TlsOptions,
} from './config.js';
export { ConfigError, ListenError, RedisUnavailableError } from './errors.js';
export type { SignalingStats } from './metrics.js';
export { type SignalingServer, startSignalingServer } from './server.js';
export { makeTurnCredentials, type TurnCredentials } from './turn-credentials.js';
