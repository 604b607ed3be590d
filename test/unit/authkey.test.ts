import { describe, expect, it } from 'vitest';
import {
  GENERATED_AUTHKEY_BYTES,
  generateAuthkey,
  shortAuthkeyWarning,
  workerCommand,
  workerPageLink,
} from '../../shared/manager/authkey.js';

describe('generated authkeys and what carries them', () => {
  it('generates 128 random bits as 32 hex characters, fresh each time', () => {
    const keys = new Set(Array.from({ length: 50 }, generateAuthkey));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(new RegExp(`^[0-9a-f]{${GENERATED_AUTHKEY_BYTES * 2}}$`));
    expect(shortAuthkeyWarning(generateAuthkey())).toBeUndefined();
  });

  it('warns about short keys, counting bytes', () => {
    expect(shortAuthkeyWarning('abc')).toMatch(/only 3 byte\(s\) long and can be guessed online/);
    expect(shortAuthkeyWarning('s3cret')).toMatch(/only 6 byte/);
    expect(shortAuthkeyWarning('ééééééé')).toMatch(/only 14 byte/);
    expect(shortAuthkeyWarning('sixteen-bytes-ok')).toBeUndefined();
    expect(shortAuthkeyWarning(new Uint8Array(8))).toMatch(/only 8 byte/);
  });

  it('links to the worker page on the signaling server, the key in the fragment', () => {
    expect(workerPageLink('ws://127.0.0.1:8080/jobs', 'k1')).toBe('http://127.0.0.1:8080/worker?room=jobs#authkey=k1');
    expect(workerPageLink('wss://signal.example.com/team/a', 'k 2')).toBe(
      'https://signal.example.com/worker?room=team%2Fa#authkey=k%202',
    );
    // An access token must reach the page too: the whole address goes in ?address=.
    const withToken = new URL(workerPageLink('wss://signal.example.com/jobs?token=t0k', 'k'));
    expect(withToken.origin).toBe('https://signal.example.com');
    expect(withToken.searchParams.get('address')).toBe('wss://signal.example.com/jobs?token=t0k');
    expect(withToken.hash).toBe('#authkey=k');
    expect(() => workerPageLink('http://x/y', 'k')).toThrow(/ws:\/\/ or wss:\/\//);
  });

  it('gives the matching worker command, quoted for a shell where needed', () => {
    expect(workerCommand('ws://127.0.0.1:8080/jobs', 'abcdef')).toBe(
      'PEERPROC_AUTHKEY=abcdef peerproc worker --address ws://127.0.0.1:8080/jobs',
    );
    expect(workerCommand('wss://h/jobs?token=a&b', "it's")).toBe(
      `PEERPROC_AUTHKEY='it'\\''s' peerproc worker --address 'wss://h/jobs?token=a&b'`,
    );
  });
});
