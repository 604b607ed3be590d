import { describe, expect, it } from 'vitest';
import { parseSignalArgs } from '../../signaling/cli.js';
import { DEFAULT_SIGNALING_OPTIONS, resolveOptions } from '../../signaling/config.js';
import { ConfigError } from '../../signaling/errors.js';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).name).toBe('ConfigError');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolveOptions()).toEqual(DEFAULT_SIGNALING_OPTIONS);
    expect(resolveOptions({})).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      maxMessageBytes: 65_536,
      maxRooms: 10_000,
      maxPeersPerRoom: 1_000,
      heartbeatIntervalMs: 30_000,
      idleTimeoutMs: 10_000,
      turnTtlSeconds: 3_600,
      trustProxy: false,
      allowedOrigins: [],
      logLevel: 'info',
    });
    expect(resolveOptions({ port: undefined }).port).toBe(8080);
  });

  it.each([
    [{ port: 70_000 }, 'Expected `port` to be an integer from 0 to 65535, got `70000` (number)'],
    [{ port: '80' }, 'Expected `port` to be an integer from 0 to 65535, got `"80"` (string)'],
    [{ maxRooms: 0 }, 'Expected `maxRooms` to be an integer from 1 and up, got `0` (number)'],
    [{ maxMessageBytes: 10 }, 'Expected `maxMessageBytes` to be an integer from 1024 to 16777216, got `10` (number)'],
    [{ messagesPerSecond: -1 }, 'Expected `messagesPerSecond` to be a number above 0, got `-1` (number)'],
    [{ host: '' }, 'Expected `host` to be a host name or IP address, got `""` (string)'],
    [{ logLevel: 'loud' }, 'Expected `logLevel` to be one of fatal, error, warn, info, debug, trace, silent'],
    [{ allowedOrigins: ['example.com'] }, 'Expected `allowedOrigins` to be a list of origins'],
    [{ allowedOrigins: 'https://a.example' }, 'Expected `allowedOrigins` to be a list of origins'],
    [{ iceServers: [{ urls: 'http://x' }] }, 'Expected `iceServers` to be a list of {urls'],
    [{ turnSecret: 's' }, 'Expected `turnUrls` to be at least one URL when a TURN secret is set'],
    [{ turnUrls: ['turn:x:3478'] }, 'Expected `turnSecret` to be set when TURN URLs are given'],
    [{ turnSecret: 's', turnUrls: ['stun:x'] }, 'Expected `turnUrls` to be a list of turn: or turns: URLs'],
    [{ tls: { certFile: 'c.pem' } }, 'Expected `tls` to be an object {certFile, keyFile}'],
    [{ trustProxy: 'yes' }, 'Expected `trustProxy` to be a boolean'],
    [{ maxRoom: 5 }, 'Unknown signaling option `maxRoom`'],
  ])('%j -> ConfigError', (input, message) => {
    expect(configError(() => resolveOptions(input as never)).message).toContain(message);
  });

  it('never echoes secrets in errors', () => {
    const err = configError(() => resolveOptions({ accessToken: 'has space secret' }));
    expect(err.message).toContain('`accessToken`');
    expect(err.message).not.toContain('secret');
    expect(err.message).toContain('a string of length 16');
  });

  it('normalises origins and freezes the result', () => {
    const options = resolveOptions({ allowedOrigins: ['https://App.Example.com/'] });
    expect(options.allowedOrigins).toEqual(['https://app.example.com']);
    expect(Object.isFrozen(options)).toBe(true);
  });
});

describe('parseSignalArgs', () => {
  it('reads flags, then environment variables, then defaults', () => {
    const { options, help } = parseSignalArgs(
      [
        '--port',
        '0',
        '--max-rooms',
        '5',
        '--trust-proxy',
        '--allowed-origins',
        'https://a.example, https://b.example',
        '--ice-servers',
        '[{"urls":"stun:stun.example.org"}]',
        '--tls-cert',
        'c.pem',
        '--tls-key',
        'k.pem',
      ],
      {
        PEERPROC_SIGNAL_PORT: '9999',
        PEERPROC_SIGNAL_HOST: '0.0.0.0',
        PEERPROC_ACCESS_TOKEN: 'from-env',
        PEERPROC_TURN_SECRET: 'turn-secret',
        PEERPROC_TURN_URLS: 'turn:turn.example.org:3478',
        PEERPROC_TURN_TTL: '60',
        PEERPROC_SIGNAL_LOG_LEVEL: 'warn',
        PEERPROC_SIGNAL_STATIC_DIR: '',
      },
    );
    expect(help).toBe(false);
    expect(options).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      maxRooms: 5,
      trustProxy: true,
      allowedOrigins: ['https://a.example', 'https://b.example'],
      iceServers: [{ urls: 'stun:stun.example.org' }],
      accessToken: 'from-env',
      turnSecret: 'turn-secret',
      turnUrls: ['turn:turn.example.org:3478'],
      turnTtlSeconds: 60,
      tls: { certFile: 'c.pem', keyFile: 'k.pem' },
      logLevel: 'warn',
      staticDir: undefined,
    });
    expect(parseSignalArgs([], { PEERPROC_SIGNAL_TRUST_PROXY: 'false' }).options.trustProxy).toBe(false);
    expect(parseSignalArgs(['--help'], { PEERPROC_SIGNAL_PORT: 'junk' }).help).toBe(true);
  });

  it.each([
    [['--port', 'abc'], {}, 'Expected --port to be an integer, got "abc"'],
    [['--port', '99999'], {}, 'Expected --port to be an integer from 0 to 65535, got `99999` (number)'],
    [[], { PEERPROC_SIGNAL_PORT: '-5' }, 'Expected PEERPROC_SIGNAL_PORT to be an integer from 0 to 65535'],
    [[], { PEERPROC_SIGNAL_MAX_ROOMS: '0' }, 'Expected PEERPROC_SIGNAL_MAX_ROOMS to be an integer from 1 and up'],
    [['--ice-servers', '[oops'], {}, 'Expected --ice-servers to be JSON, got "[oops"'],
    [['--ice-servers', '{"urls":"stun:x"}'], {}, 'Expected --ice-servers to be a list'],
    [[], { PEERPROC_SIGNAL_TRUST_PROXY: 'maybe' }, 'Expected PEERPROC_SIGNAL_TRUST_PROXY to be true or false'],
    [['--log-level', 'chatty'], {}, 'Expected --log-level to be one of'],
    [['--tls-cert', 'c.pem'], {}, 'Expected --tls-cert and --tls-key to be given together'],
    [['--turn-secret', 's'], {}, 'Expected --turn-urls to be at least one URL when a TURN secret is set'],
    [['--bogus'], {}, "Unknown option '--bogus'"],
    [['extra'], {}, "Unexpected argument 'extra'"],
  ])('%j %j -> ConfigError', (argv, env, message) => {
    expect(configError(() => parseSignalArgs(argv, env)).message).toContain(message);
  });

  it('never echoes a bad secret from the command line', () => {
    const err = configError(() => parseSignalArgs(['--access-token', 'two words'], {}));
    expect(err.message).toContain('--access-token');
    expect(err.message).not.toContain('two words');
  });
});
