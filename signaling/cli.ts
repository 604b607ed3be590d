/**
 * `peerproc signal`: runs the signaling server until SIGTERM or SIGINT. Every
 * flag can also come from an environment variable (flags win); empty
 * variables count as unset. Bad values raise `ConfigError` naming the flag or
 * variable they came from.
 */
import { parseArgs } from 'node:util';
import { resolveOptions, type SignalingOptions } from './config.js';
import { ConfigError } from './errors.js';
import { startSignalingServer } from './server.js';

type Kind = 'string' | 'integer' | 'number' | 'boolean' | 'list' | 'json';
type Target = Exclude<keyof SignalingOptions, 'tls' | 'logger'> | 'tlsCertFile' | 'tlsKeyFile';

interface Flag {
  readonly target: Target;
  readonly env: string;
  readonly kind: Kind;
  readonly help: string;
}

/** Flags by name, in the order `--help` lists them. */
export const SIGNAL_FLAGS: Readonly<Record<string, Flag>> = {
  host: { target: 'host', env: 'PEERPROC_SIGNAL_HOST', kind: 'string', help: 'address to listen on (127.0.0.1)' },
  port: { target: 'port', env: 'PEERPROC_SIGNAL_PORT', kind: 'integer', help: 'port, 0 = any free port (8080)' },
  'static-dir': {
    target: 'staticDir',
    env: 'PEERPROC_SIGNAL_STATIC_DIR',
    kind: 'string',
    help: 'folder of built web pages',
  },
  'max-message-bytes': {
    target: 'maxMessageBytes',
    env: 'PEERPROC_SIGNAL_MAX_MESSAGE_BYTES',
    kind: 'integer',
    help: '(65536)',
  },
  'max-rooms': { target: 'maxRooms', env: 'PEERPROC_SIGNAL_MAX_ROOMS', kind: 'integer', help: '(10000)' },
  'max-peers-per-room': {
    target: 'maxPeersPerRoom',
    env: 'PEERPROC_SIGNAL_MAX_PEERS_PER_ROOM',
    kind: 'integer',
    help: '(1000)',
  },
  'max-connections': {
    target: 'maxConnections',
    env: 'PEERPROC_SIGNAL_MAX_CONNECTIONS',
    kind: 'integer',
    help: '(20000)',
  },
  'max-connections-per-ip': {
    target: 'maxConnectionsPerIp',
    env: 'PEERPROC_SIGNAL_MAX_CONNECTIONS_PER_IP',
    kind: 'integer',
    help: '(200)',
  },
  'ip-connections-per-second': {
    target: 'ipConnectionsPerSecond',
    env: 'PEERPROC_SIGNAL_IP_CONNECTIONS_PER_SECOND',
    kind: 'number',
    help: 'new connections per second per address (20)',
  },
  'ip-connection-burst': {
    target: 'ipConnectionBurst',
    env: 'PEERPROC_SIGNAL_IP_CONNECTION_BURST',
    kind: 'integer',
    help: '(200)',
  },
  'messages-per-second': {
    target: 'messagesPerSecond',
    env: 'PEERPROC_SIGNAL_MESSAGES_PER_SECOND',
    kind: 'number',
    help: 'per connection (50)',
  },
  'message-burst': { target: 'messageBurst', env: 'PEERPROC_SIGNAL_MESSAGE_BURST', kind: 'integer', help: '(200)' },
  'max-buffered-bytes': {
    target: 'maxBufferedBytes',
    env: 'PEERPROC_SIGNAL_MAX_BUFFERED_BYTES',
    kind: 'integer',
    help: 'unread bytes before a client is dropped (4194304)',
  },
  'heartbeat-interval-ms': {
    target: 'heartbeatIntervalMs',
    env: 'PEERPROC_SIGNAL_HEARTBEAT_INTERVAL_MS',
    kind: 'integer',
    help: '(30000)',
  },
  'idle-timeout-ms': {
    target: 'idleTimeoutMs',
    env: 'PEERPROC_SIGNAL_IDLE_TIMEOUT_MS',
    kind: 'integer',
    help: 'time to register (10000)',
  },
  'shutdown-timeout-ms': {
    target: 'shutdownTimeoutMs',
    env: 'PEERPROC_SIGNAL_SHUTDOWN_TIMEOUT_MS',
    kind: 'integer',
    help: '(5000)',
  },
  'allowed-origins': {
    target: 'allowedOrigins',
    env: 'PEERPROC_SIGNAL_ALLOWED_ORIGINS',
    kind: 'list',
    help: 'comma-separated; empty = any',
  },
  'access-token': { target: 'accessToken', env: 'PEERPROC_ACCESS_TOKEN', kind: 'string', help: 'prefer the variable' },
  'trust-proxy': {
    target: 'trustProxy',
    env: 'PEERPROC_SIGNAL_TRUST_PROXY',
    kind: 'boolean',
    help: 'honour X-Forwarded-For',
  },
  'ice-servers': { target: 'iceServers', env: 'PEERPROC_SIGNAL_ICE_SERVERS', kind: 'json', help: 'JSON list' },
  'turn-secret': { target: 'turnSecret', env: 'PEERPROC_TURN_SECRET', kind: 'string', help: 'prefer the variable' },
  'turn-urls': { target: 'turnUrls', env: 'PEERPROC_TURN_URLS', kind: 'list', help: 'comma-separated' },
  'turn-ttl': { target: 'turnTtlSeconds', env: 'PEERPROC_TURN_TTL', kind: 'integer', help: 'seconds (3600)' },
  'tls-cert': { target: 'tlsCertFile', env: 'PEERPROC_SIGNAL_TLS_CERT', kind: 'string', help: 'PEM file' },
  'tls-key': { target: 'tlsKeyFile', env: 'PEERPROC_SIGNAL_TLS_KEY', kind: 'string', help: 'PEM file' },
  redis: {
    target: 'redis',
    env: 'PEERPROC_SIGNAL_REDIS',
    kind: 'string',
    help: 'redis://HOST:PORT: one service with every node on it',
  },
  'redis-presence-ttl-ms': {
    target: 'redisPresenceTtlMs',
    env: 'PEERPROC_SIGNAL_REDIS_PRESENCE_TTL_MS',
    kind: 'integer',
    help: 'a dead node is noticed after this (5000)',
  },
  'log-level': { target: 'logLevel', env: 'PEERPROC_SIGNAL_LOG_LEVEL', kind: 'string', help: '(info)' },
};

/** Signals that stop the server gracefully; a second one kills the process (the handlers are gone by then). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

export const SIGNAL_USAGE = `Usage: peerproc signal [options]

Runs the peerproc signaling server. Every option can also be set with the
environment variable shown; flags win over variables.

${Object.entries(SIGNAL_FLAGS)
  .map(([name, flag]) => {
    const value =
      flag.kind === 'boolean' ? '' : ` ${flag.kind === 'integer' || flag.kind === 'number' ? 'N' : 'VALUE'}`;
    return `  --${`${name}${value}`.padEnd(32)} ${flag.env.padEnd(42)} ${flag.help}`;
  })
  .join('\n')}
  --help, -h
`;

export interface ParsedSignalArgs {
  readonly help: boolean;
  readonly options: SignalingOptions;
}

/** Reads flags and environment variables into checked options (no server is started). */
export function parseSignalArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedSignalArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(
          Object.entries(SIGNAL_FLAGS).map(([name, flag]) => [
            name,
            { type: flag.kind === 'boolean' ? ('boolean' as const) : ('string' as const) },
          ]),
        ),
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message} (see peerproc signal --help)`, { cause: err });
  }

  if (values.help === true) return { help: true, options: resolveOptions() };

  const input: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const [name, flag] of Object.entries(SIGNAL_FLAGS)) {
    const fromArgv = values[name];
    const fromEnv = env[flag.env];
    let raw: string | boolean;
    if (fromArgv !== undefined) {
      raw = fromArgv;
      sources.set(flag.target, `--${name}`);
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw = fromEnv;
      sources.set(flag.target, flag.env);
    } else {
      continue;
    }
    input[flag.target] = convert(raw, flag.kind, sources.get(flag.target) as string, flag.target);
  }

  const { tlsCertFile, tlsKeyFile, ...rest } = input;
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    throw new ConfigError('Expected --tls-cert and --tls-key to be given together, got only one of them');
  }
  if (tlsCertFile !== undefined) rest.tls = { certFile: tlsCertFile, keyFile: tlsKeyFile };
  sources.set('tls', '--tls-cert/--tls-key');

  const options = resolveOptions(rest as Partial<SignalingOptions>, (key) => {
    const flagName = Object.entries(SIGNAL_FLAGS).find(([, flag]) => flag.target === key)?.[0];
    return sources.get(key) ?? (flagName ? `--${flagName}` : `\`${key}\``);
  });
  return { help: false, options };
}

function convert(raw: string | boolean, kind: Kind, source: string, target: Target): unknown {
  const secret = target === 'accessToken' || target === 'turnSecret';
  const fail = (expected: string): never => {
    const shown = secret ? `a value of length ${String(raw).length}` : JSON.stringify(raw);
    throw new ConfigError(`Expected ${source} to be ${expected}, got ${shown}`);
  };
  if (typeof raw === 'boolean') return raw;
  switch (kind) {
    case 'string':
      return raw;
    case 'integer':
      if (!/^-?\d+$/.test(raw.trim())) fail('an integer');
      return Number(raw);
    case 'number':
      if (!/^\d+(\.\d+)?$/.test(raw.trim())) fail('a number');
      return Number(raw);
    case 'boolean': {
      const lower = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
      if (['0', 'false', 'no', 'off'].includes(lower)) return false;
      return fail('true or false');
    }
    case 'list':
      return raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        return fail('JSON');
      }
  }
}

/**
 * Runs `peerproc signal`. `argv` are the arguments after `signal`. Resolves
 * once the server has stopped after SIGTERM/SIGINT (or at once for --help);
 * rejects with `ConfigError` on bad options and `ListenError` if the port
 * cannot be bound.
 */
export async function runSignalCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { help, options } = parseSignalArgs(argv, env);
  if (help) {
    process.stdout.write(SIGNAL_USAGE);
    return;
  }
  const server = await startSignalingServer(options);
  process.stdout.write(`peerproc signaling server listening on ${server.wsUrl('').replace(/\/$/, '')}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      for (const signal of STOP_SIGNALS) process.off(signal, stop);
      resolve();
    };
    for (const signal of STOP_SIGNALS) process.on(signal, stop);
  });
  await server.close();
}
