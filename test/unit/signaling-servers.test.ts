/** Address lists and the order in which a peer tries the servers of one cluster. */
import { describe, expect, it } from 'vitest';
import { AddressInUseError, ConnectionClosedError, SignalingError } from '../../shared/errors.js';
import { resolveOptions } from '../../shared/manager/options.js';
import { parseAddress } from '../../shared/signaling/protocol.js';
import { SignalingServers } from '../../shared/signaling/servers.js';
import type { Platform } from '../../shared/webrtc/platform.js';

describe('parseAddress with several servers', () => {
  it('keeps a single address as it was, with urls of one', () => {
    expect(parseAddress('ws://127.0.0.1:8080/jobs')).toEqual({
      url: 'ws://127.0.0.1:8080/jobs',
      room: 'jobs',
      urls: ['ws://127.0.0.1:8080/jobs'],
    });
  });

  it('accepts a comma-separated list for the same room, spaces allowed, first is `url`', () => {
    expect(parseAddress('wss://a.example.org/jobs, wss://b.example.org/jobs?token=t,ws://c:81/jobs/')).toEqual({
      url: 'wss://a.example.org/jobs',
      room: 'jobs',
      urls: ['wss://a.example.org/jobs', 'wss://b.example.org/jobs?token=t', 'ws://c:81/jobs/'],
    });
  });

  it('refuses lists naming different rooms, empty entries and bad members, naming the problem', () => {
    expect(() => parseAddress('ws://a/jobs,ws://b/other')).toThrow(/same room, got "jobs" and "other"/);
    expect(() => parseAddress('ws://a/jobs,,ws://b/jobs')).toThrow(/separated by single commas/);
    expect(() => parseAddress('ws://a/jobs,')).toThrow(/separated by single commas/);
    expect(() => parseAddress('ws://a/jobs,http://b/jobs')).toThrow(
      /must use ws:\/\/ or wss:\/\/, got "http:\/\/b\/jobs"/,
    );
    expect(() => parseAddress('ws://a/jobs,ws://b')).toThrow(/must name a room/);
  });

  it('gives the manager every server, and refuses a bad list with ConfigError naming the option', () => {
    const platform = { name: 'test', RTCPeerConnection: class {}, WebSocket: class {} } as unknown as Platform;
    const resolved = resolveOptions({ address: 'ws://a/r,ws://b/r', authkey: 'k', platform });
    expect(resolved.url).toBe('ws://a/r');
    expect(resolved.servers.urls).toEqual(['ws://a/r', 'ws://b/r']);
    expect(() => resolveOptions({ address: 'ws://a/r,ws://b/s', authkey: 'k', platform })).toThrow(
      /option 'address': every address in a list must name the same room/,
    );
  });
});

describe('SignalingServers', () => {
  const closed = (url: string) => new ConnectionClosedError(`signaling connection to ${url} closed (code 1006)`);

  it('uses the first that answers and keeps it; after it fails, starts with the next', async () => {
    const servers = new SignalingServers(['a', 'b', 'c']);
    const tried: string[] = [];
    const down = new Set(['a']);
    const connect = async (url: string) => {
      tried.push(url);
      if (down.has(url)) throw closed(url);
      return url;
    };
    expect(await servers.connectFirst(connect)).toBe('b');
    expect(await servers.connectFirst(connect)).toBe('b');
    expect(tried).toEqual(['a', 'b', 'b']);
    servers.failed('b'); // b went away
    down.add('b');
    tried.length = 0;
    expect(await servers.connectFirst(connect)).toBe('c');
    expect(tried).toEqual(['c']);
    servers.failed('c');
    down.delete('a');
    expect(servers.order()).toEqual(['a', 'b', 'c']);
    expect(await servers.connectFirst(connect)).toBe('a');
  });

  it('stops at a refusal that the whole cluster would give', async () => {
    const servers = new SignalingServers(['a', 'b']);
    const tried: string[] = [];
    await expect(
      servers.connectFirst(async (url) => {
        tried.push(url);
        throw new AddressInUseError('address in use: a master already serves this room');
      }),
    ).rejects.toBeInstanceOf(AddressInUseError);
    expect(tried).toEqual(['a']);
    await expect(
      servers.connectFirst(async () => {
        throw new SignalingError('ROOM_FULL', 'signaling server refused: ROOM_FULL: full');
      }),
    ).rejects.toMatchObject({ code: 'ROOM_FULL' });
  });

  it('moves past node-specific refusals; reports the first refusal, or every failure when none answered', async () => {
    const servers = new SignalingServers(['a', 'b']);
    const unavailable = new SignalingError('UNAVAILABLE', 'signaling server refused: UNAVAILABLE: no Redis');
    await expect(
      servers.connectFirst(async (url) => {
        if (url === 'a') throw unavailable;
        throw closed(url);
      }),
    ).rejects.toBe(unavailable);
    const both = await servers.connectFirst(async (url) => Promise.reject(closed(url))).catch((err) => err);
    expect(both).toBeInstanceOf(ConnectionClosedError);
    expect(both.message).toMatch(/none of the 2 signaling servers answered: .*to [ab] closed.*; .*to [ab] closed/);
    const single = new SignalingServers(['only']);
    const error = closed('only');
    await expect(single.connectFirst(async () => Promise.reject(error))).rejects.toBe(error);
  });
});
