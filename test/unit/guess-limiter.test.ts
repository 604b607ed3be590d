import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GuessLimiter, type GuessLimits, ROOM_GUESS_LIMITS } from '../../shared/manager/guess-limiter.js';

let now = 0;
const clock = () => now;
const limits: GuessLimits = { ...ROOM_GUESS_LIMITS };

beforeEach(() => {
  vi.useFakeTimers();
  now = 0;
});
afterEach(() => vi.useRealTimers());

function advance(ms: number): void {
  now += ms;
  vi.advanceTimersByTime(ms);
}

function limiter() {
  const lines: string[] = [];
  return { lines, limiter: new GuessLimiter(limits, 'room jobs', (l) => lines.push(l), clock) };
}

/** One full failed attempt by `peer`; returns whether it was admitted. */
function fail(l: GuessLimiter, peer: string): boolean {
  if (!l.admit(peer).ok) return false;
  l.settle(peer, 'failed', `${peer} failed authentication: digest received was wrong`);
  return true;
}

describe('GuessLimiter', () => {
  it('lets a burst of failures through, then one per interval, with two log lines in all', () => {
    const { lines, limiter: l } = limiter();
    let admitted = 0;
    for (let i = 0; i < 200; i++) if (fail(l, `peer-${i}`)) admitted++;
    expect(admitted).toBe(limits.burst);
    // Over the next 20 s of continuous attempts, one per interval more.
    for (let t = 0; t < 20_000; t += 100) {
      advance(100);
      if (fail(l, `late-${t}`)) admitted++;
    }
    expect(admitted).toBe(limits.burst + 20_000 / limits.intervalMs);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/peer-0 failed authentication/);
    advance(limits.quietMs);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /authentication on room jobs: 20 failed and 380 refused handshake\(s\) in 20 s .*burst over/,
    );
  });

  it('refuses a peer after its own failures, long after the room recovered', () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < limits.perPeer; i++) expect(fail(l, 'same')).toBe(true);
    advance(limits.intervalMs * limits.burst);
    const refused = l.admit('same');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.reason).toMatch(/3 failed handshakes from this peer; refused for \d+ s more/);
    expect(l.admit('other').ok).toBe(true);
    advance(limits.peerBanMs);
    expect(l.admit('same').ok).toBe(true);
  });

  it('never holds back a peer that authenticates, and caps unproven handshakes in flight', () => {
    const { lines, limiter: l } = limiter();
    for (let i = 0; i < 100; i++) {
      expect(l.admit(`good-${i}`).ok).toBe(true);
      l.settle(`good-${i}`, 'authenticated');
    }
    for (let i = 0; i < limits.maxPending; i++) expect(l.admit(`slow-${i}`).ok).toBe(true);
    const capped = l.admit('one-too-many');
    expect(!capped.ok && capped.reason).toMatch(/16 unproven handshakes already in flight/);
    l.settle('slow-0', 'dropped');
    expect(l.admit('next').ok).toBe(true);
    // Drops are not guesses: the room's budget is intact.
    expect(lines).toEqual(['one-too-many refused: 16 unproven handshakes already in flight']);
  });

  it('reports a long burst once a minute while it lasts', () => {
    const { lines, limiter: l } = limiter();
    for (let t = 0; t < 130_000; t += 1_000) {
      fail(l, `p-${t}`);
      advance(1_000);
    }
    expect(lines.filter((line) => /so far; still going/.test(line))).toHaveLength(2);
    l.close();
    expect(lines.at(-1)).toMatch(/burst over/);
    expect(lines).toHaveLength(4);
  });

  it('forgets the oldest peers beyond its bound', () => {
    const l = new GuessLimiter({ ...limits, maxPeers: 2, burst: 100 }, 'room r', () => {}, clock);
    for (const p of ['a', 'a', 'a']) fail(l, p);
    expect(l.admit('a').ok).toBe(false);
    fail(l, 'b');
    fail(l, 'c'); // 'a' is forgotten
    expect(l.admit('a').ok).toBe(true);
  });
});
