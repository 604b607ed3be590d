import { describe, expect, it } from 'vitest';
import {
  PACE_SAMPLE_EVERY,
  PACE_TIMED_FIRST,
  PREFETCH_HORIZON_MS,
  PrefetchWindow,
} from '../../shared/queue/prefetch-window.js';

/**
 * Drives the window as a consumer spending `msPerItem` on each item, with a queue that always has plenty,
 * reading the clock only where the window asks for it (as the queue proxy does).
 */
function run(window: PrefetchWindow, msPerItem: number, items: number): number {
  let now = 0;
  for (let i = 0; i < items; i++) {
    const timed = window.beginGet();
    if (timed) window.asked(now);
    const asked = window.size;
    window.supplied(asked, asked);
    if (timed) window.handedOut(now);
    now += msPerItem;
  }
  return window.size;
}

describe('PrefetchWindow', () => {
  it('starts at one item', () => {
    expect(new PrefetchWindow(512).size).toBe(1);
  });

  it('grows to the maximum for a fast consumer', () => {
    expect(run(new PrefetchWindow(512), 0.003, 50)).toBe(512);
  });

  it('holds about PREFETCH_HORIZON_MS of work for a slower one', () => {
    expect(run(new PrefetchWindow(512), 1, 50)).toBe(PREFETCH_HORIZON_MS);
  });

  it('keeps one item for a consumer slower than the horizon', () => {
    expect(run(new PrefetchWindow(512), 50, 20)).toBe(1);
  });

  it('grows straight to the share the master names, within the maximum and the pace', () => {
    const fast = new PrefetchWindow(512);
    run(fast, 0.003, 2);
    fast.supplied(fast.size, fast.size, 300);
    expect(fast.size).toBe(300);
    fast.supplied(300, 300, 5000);
    expect(fast.size).toBe(512);
    // 1 ms an item: the share cannot make the window hold more than the horizon's worth of work.
    const slow = new PrefetchWindow(512);
    run(slow, 1, 5);
    slow.supplied(slow.size, slow.size, 5000);
    expect(slow.size).toBe(PREFETCH_HORIZON_MS);
  });

  it("names its pace's limit apart from the supply: 1 until the pace is known, then the horizon's worth within the maximum", () => {
    const fresh = new PrefetchWindow(512);
    expect(fresh.paceLimit).toBe(1);
    const fast = new PrefetchWindow(512);
    run(fast, 0.003, 2);
    // Supplied two items so far: the window asks for little, but its pace would allow the maximum.
    fast.supplied(1, 1, 0);
    expect(fast.size).toBe(2);
    expect(fast.paceLimit).toBe(512);
    // The master gave 64 for those 2 (its queue had grown): the window grows from what came, not what was asked.
    fast.supplied(2, 64, 1);
    expect(fast.size).toBe(128);
    const slow = new PrefetchWindow(512);
    run(slow, 1, 5);
    expect(slow.paceLimit).toBe(PREFETCH_HORIZON_MS);
    expect(slow.size).toBeLessThanOrEqual(slow.paceLimit);
    const slowest = new PrefetchWindow(512);
    run(slowest, 80, 3);
    expect(slowest.paceLimit).toBe(1);
  });

  it('reads the clock on a few gets only once the pace is known, and still follows a change of pace', () => {
    const w = new PrefetchWindow(512);
    run(w, 0.003, PACE_TIMED_FIRST);
    let timed = 0;
    for (let i = 0; i < 900; i++) {
      // As the proxy does: a timed get reads the clock for its ask and for its hand-out.
      if (!w.beginGet()) continue;
      timed++;
      w.asked(i * 0.003);
      w.handedOut(i * 0.003);
    }
    // Each sample takes two timed gets (the hand-out and the next ask), one sample per PACE_SAMPLE_EVERY gets.
    expect(timed).toBeLessThanOrEqual((900 / PACE_SAMPLE_EVERY) * 2 + 2);
    expect(timed).toBeGreaterThan(0);
    // The consumer turns slow (1 ms an item): within a few dozen items the window holds the horizon's worth.
    expect(run(w, 1, 20 * PACE_SAMPLE_EVERY)).toBe(PREFETCH_HORIZON_MS);
  });

  it('shrinks to what the queue had, and starts over after a failure', () => {
    const w = new PrefetchWindow(512);
    run(w, 0.003, 50);
    w.supplied(512, 3);
    expect(w.size).toBe(3);
    w.reset();
    expect(w.size).toBe(1);
  });
});
