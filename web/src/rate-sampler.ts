/**
 * The master page's rates, sampled on their own timer: every
 * SAMPLE_INTERVAL_MS the running totals (all results, by browser and Node
 * workers) are read and turned into rates for the chart and the headline.
 * Sampling does not depend on how often the page paints, so the chart's
 * points stay evenly spaced whatever the load.
 */
import { agentLabel } from './format.js';
import type { MasterWorkerRow } from './hooks.js';
import type { Run } from './master-session.js';
import { RateMeter } from './rate-meter.js';

/** One chart point: seconds into the run, and tasks per second in all and by kind of worker. */
export interface RateSample {
  t: number;
  all: number;
  browser: number;
  node: number;
}

/** Where the points go (ThroughputChart on the page; the sampler needs no DOM). */
export interface RateChart {
  push(sample: RateSample): void;
  clear(): void;
}

/** Chart points this far apart. */
export const SAMPLE_INTERVAL_MS = 200;
/** The chart's rates react within a second; the headline figure is steadier (RateMeter's default 2 s). */
const CHART_WINDOW_MS = 1_000;

/** What is sampled: the run and the results each worker returned. */
export type Totals = () => { run: Readonly<Run> | null; workers: readonly MasterWorkerRow[] };

export class RateSampler {
  readonly #chart: RateChart;
  readonly #totals: Totals;
  readonly #headline = new RateMeter();
  readonly #meters = {
    all: new RateMeter(CHART_WINDOW_MS),
    browser: new RateMeter(CHART_WINDOW_MS),
    node: new RateMeter(CHART_WINDOW_MS),
  };
  #timer: ReturnType<typeof setInterval> | undefined;
  #sampledAt = 0;
  #recent = 0;

  constructor(chart: RateChart, totals: Totals) {
    this.#chart = chart;
    this.#totals = totals;
  }

  /** Tasks per second over the headline's window, as of the last sample. */
  get recentRate(): number {
    return this.#recent;
  }

  /** A run started: clear the chart, draw its zero point, sample from now on. */
  start(run: Readonly<Run>): void {
    this.stop();
    for (const meter of [this.#headline, ...Object.values(this.#meters)]) meter.reset();
    this.#chart.clear();
    this.#sampledAt = run.startedAt;
    this.#chart.push(this.#sample(run.startedAt, run.startedAt, 0, []));
    this.#recent = this.#headline.sample(run.startedAt, 0);
    this.#timer = setInterval(() => this.sampleIfDue(), SAMPLE_INTERVAL_MS);
  }

  /**
   * Samples if SAMPLE_INTERVAL_MS has passed. The timer calls it; so do arriving
   * results, because under load network events can starve timers.
   */
  sampleIfDue(now = performance.now()): void {
    const { run, workers } = this.#totals();
    if (!run || run.finishedAt !== null || now - this.#sampledAt < SAMPLE_INTERVAL_MS) return;
    this.#sampledAt = now;
    this.#chart.push(this.#sample(run.startedAt, now, run.results.length, workers));
    this.#recent = this.#headline.sample(now, run.results.length);
  }

  /** The run is over: the rates at the moment its last result came in, so even a short run has its line. */
  finish(run: Readonly<Run>): void {
    this.stop();
    if (run.finishedAt === null) return;
    const { workers } = this.#totals();
    this.#chart.push(this.#sample(run.startedAt, run.finishedAt, run.results.length, workers));
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Rates at `now`: in all, and by what the workers run in. */
  #sample(startedAt: number, now: number, received: number, rows: readonly MasterWorkerRow[]): RateSample {
    const byKind = (kind: string) =>
      rows.filter((r) => agentLabel(r.agent) === kind).reduce((sum, r) => sum + r.results, 0);
    return {
      t: (now - startedAt) / 1000,
      all: this.#meters.all.sample(now, received),
      browser: this.#meters.browser.sample(now, byKind('Browser')),
      node: this.#meters.node.sample(now, byKind('Node')),
    };
  }
}
