import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MasterWorkerRow } from '../../web/src/hooks.js';
import { type RateSample, RateSampler, SAMPLE_INTERVAL_MS } from '../../web/src/rate-sampler.js';

/** The chart as the sampler sees it: points pushed, and clears. */
function chart() {
  const points: RateSample[] = [];
  return { points, fake: { push: (p: RateSample) => points.push(p), clear: () => points.splice(0) } };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RateSampler', () => {
  it('samples on its own timer, evenly, from the totals, and draws the final point once the run is over', () => {
    vi.useFakeTimers();
    const { points, fake } = chart();
    const run = {
      tasks: [1, 2, 3],
      results: [] as string[],
      arrivals: [],
      startedAt: performance.now(),
      finishedAt: null as number | null,
      duplicates: 0,
      resumed: 0,
    };
    const workers: MasterWorkerRow[] = [
      { peer: 'a', agent: 'browser', status: 'connected', results: 0 },
      { peer: 'b', agent: 'node-datachannel', status: 'connected', results: 0 },
    ];
    const sampler = new RateSampler(fake, () => ({ run, workers }));
    sampler.start(run);
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ t: 0, all: 0 });
    run.results.push('1 * 1 = 1', '2 * 2 = 4');
    workers[0].results = 2;
    sampler.sampleIfDue(); // not due yet: nothing more than the timer's own points
    expect(points).toHaveLength(1);
    vi.advanceTimersByTime(SAMPLE_INTERVAL_MS * 3);
    expect(points).toHaveLength(4);
    expect(points.at(-1)?.all).toBeGreaterThan(0);
    expect(points.at(-1)?.browser).toBeGreaterThan(0);
    expect(points.at(-1)?.node).toBe(0);
    expect(sampler.recentRate).toBeGreaterThan(0);
    run.results.push('3 * 3 = 9');
    run.finishedAt = performance.now();
    sampler.finish(run);
    expect(points).toHaveLength(5);
    vi.advanceTimersByTime(SAMPLE_INTERVAL_MS * 5);
    expect(points).toHaveLength(5);
  });
});
