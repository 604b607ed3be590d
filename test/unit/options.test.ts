import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import {
  connectionSettings,
  DEFAULT_PREFETCH,
  DEFAULT_WAIT_MS,
  type ManagerOptions,
  randomPeerId,
  resolveOptions,
} from '../../shared/manager/options.js';
import { MAX_BATCH } from '../../shared/queue/batch.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../../shared/webrtc/peer-link.js';
import type { Platform } from '../../shared/webrtc/platform.js';
import {
  DEFAULT_DEAD_AFTER_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
} from '../../shared/wire/connection.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../shared/wire/framing.js';

// Only checked for presence: resolving options opens nothing.
const platform = { name: 'test', RTCPeerConnection: class {}, WebSocket: class {} } as unknown as Platform;
const base: ManagerOptions = { address: 'ws://127.0.0.1:8080/jobs', authkey: 'secret', platform };

function refusal(options: Partial<ManagerOptions> | unknown): ConfigError {
  try {
    resolveOptions(options as ManagerOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('INVALID_CONFIG');
    return err as ConfigError;
  }
  throw new Error('the options were accepted');
}

describe('manager options', () => {
  it('fills in every default, converting seconds to milliseconds', () => {
    const resolved = resolveOptions(base);
    expect(resolved).toMatchObject({
      url: 'ws://127.0.0.1:8080/jobs',
      room: 'jobs',
      address: base.address,
      waitMs: DEFAULT_WAIT_MS,
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
      heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
      deadAfterMs: DEFAULT_DEAD_AFTER_MS,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      prefetch: DEFAULT_PREFETCH,
      batchResults: true,
      iceServers: undefined,
    });
    // A worker asks for as many items as one batch call may carry.
    expect(resolved.prefetch).toBe(MAX_BATCH);
    expect([...resolved.authkey]).toEqual([...new TextEncoder().encode('secret')]);
    expect(connectionSettings(resolved)).toEqual({
      agent: 'test',
      handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
      heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
      deadAfterMs: DEFAULT_DEAD_AFTER_MS,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    });
  });

  it('takes times in seconds, as Python does', () => {
    const resolved = resolveOptions({ ...base, wait: 2.5, deadAfter: 0, heartbeatInterval: 0.25, prefetch: 1 });
    expect(resolved).toMatchObject({ waitMs: 2500, deadAfterMs: 0, heartbeatIntervalMs: 250, prefetch: 1 });
  });

  it('refuses each bad option by name, with the value', () => {
    expect(refusal(null).message).toMatch(/object/);
    expect(refusal({ ...base, address: 'http://x/jobs' }).message).toMatch(/^option 'address'.*ws:\/\//);
    expect(refusal({ ...base, authkey: 42 as unknown as string }).message).toMatch(/'authkey'.*number/);
    expect(refusal({ ...base, platform: {} as Platform }).message).toMatch(/'platform'/);
    expect(refusal({ ...base, iceServers: 'stun:x' as unknown as [] }).message).toMatch(/'iceServers'/);
    expect(refusal({ ...base, maxMessageBytes: 10 }).message).toMatch(/'maxMessageBytes'.*got 10/);
    expect(refusal({ ...base, prefetch: MAX_BATCH + 1 }).message).toMatch(
      `from 1 to ${MAX_BATCH}, got ${MAX_BATCH + 1}`,
    );
    expect(refusal({ ...base, prefetch: 1.5 }).message).toMatch(/'prefetch'/);
    expect(refusal({ ...base, batchResults: 'yes' as unknown as boolean }).message).toMatch(/'batchResults'.*yes/);
    for (const key of ['wait', 'connectTimeout', 'handshakeTimeout', 'heartbeatInterval', 'deadAfter'] as const) {
      expect(refusal({ ...base, [key]: -1 }).message).toBe(
        `option '${key}' must be a non-negative number of seconds, got -1`,
      );
      expect(refusal({ ...base, [key]: Number.POSITIVE_INFINITY }).message).toMatch(key);
      expect(refusal({ ...base, [key]: '5' }).message).toMatch(key);
    }
  });

  it('draws random peer ids of 24 hex digits', () => {
    const ids = new Set(Array.from({ length: 100 }, randomPeerId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{24}$/);
  });
});
