/** Option parsing shared by the peerproc commands: flags, environment fallbacks, clear errors. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError } from '../../shared/errors.js';
import type { IceServer } from '../../shared/webrtc/platform.js';

/** CLI diagnostics go to stderr, so stdout carries only the example's transcript. */
export { stderrLogger } from '../stderr-logger.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags(argv: string[], options: Options): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
    return values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

export function requireString(values: Record<string, unknown>, name: string, envName?: string): string {
  const value = values[name] ?? (envName ? process.env[envName] : undefined);
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(`--${name} is required${envName ? ` (or set ${envName})` : ''}`);
  }
  return value;
}

export function numberFlag(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  { integer = false, min = 0 }: { integer?: boolean; min?: number } = {},
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new ConfigError(
      `--${name} must be ${integer ? 'an integer' : 'a number'} of at least ${min}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** `--ice-servers '[{"urls":"turn:host:3478","username":"u","credential":"p"}]'` */
export function iceServersFlag(values: Record<string, unknown>): IceServer[] | undefined {
  const raw = values['ice-servers'] ?? process.env.PEERPROC_ICE_SERVERS;
  if (raw === undefined || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(raw));
  } catch {
    throw new ConfigError(`--ice-servers must be a JSON array of {urls, username?, credential?}, got ${String(raw)}`);
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.every(
      (s) =>
        typeof s === 'object' &&
        s !== null &&
        (typeof s.urls === 'string' || (Array.isArray(s.urls) && s.urls.every((u: unknown) => typeof u === 'string'))),
    );
  if (!valid) throw new ConfigError(`--ice-servers must be a JSON array of {urls, username?, credential?}`);
  return parsed as IceServer[];
}

export const CONNECTION_FLAGS: Options = {
  address: { type: 'string' },
  authkey: { type: 'string' },
  'ice-servers': { type: 'string' },
  webrtc: { type: 'string' },
};

/** The registry of the distributed-process example, as the master and worker commands serve and use it. */
export type { Jobs } from '../../shared/example.js';
