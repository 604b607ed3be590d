/**
 * A job master's progress on standard error: a live bar (cli-progress) on a
 * terminal, a status line every few seconds otherwise (logs, CI), nothing
 * with --quiet; then the summary.
 */
import cliProgress from 'cli-progress';
import type { JobRunSummary } from '../../shared/jobs/master-run.js';

/** How often the status line is printed when standard error is not a terminal. */
export const STATUS_INTERVAL_MS = 5_000;
/** How often the bar's worker count and rate are refreshed between results. */
const BAR_REFRESH_MS = 500;

export interface ProgressSource {
  readonly total: number;
  readonly done: number;
  readonly errors: number;
  connectedWorkers(): number;
}

export interface Progress {
  stop(): void;
}

function rateOf(done: number, startedAt: number): number {
  const seconds = (performance.now() - startedAt) / 1000;
  return seconds > 0 ? done / seconds : 0;
}

function eta(done: number, total: number, rate: number): string {
  if (done >= total) return '0 s';
  if (rate <= 0) return 'unknown';
  const seconds = (total - done) / rate;
  return seconds < 90 ? `${Math.ceil(seconds)} s` : `${Math.ceil(seconds / 60)} min`;
}

export function startProgress(
  source: ProgressSource,
  quiet: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (quiet) return { stop: () => {} };
  const startedAt = performance.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'job {bar} {value}/{total} | {rate} tasks/s | {workers} worker(s) | {errors} error(s) | ETA {eta}',
        hideCursor: true,
        clearOnComplete: false,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    const payload = () => {
      const rate = rateOf(source.done, startedAt);
      return {
        rate: rate.toFixed(1),
        workers: source.connectedWorkers(),
        errors: source.errors,
        eta: eta(source.done, source.total, rate),
      };
    };
    bar.start(source.total, 0, payload());
    const timer = setInterval(() => bar.update(source.done, payload()), BAR_REFRESH_MS);
    return {
      stop: () => {
        clearInterval(timer);
        bar.update(source.done, payload());
        bar.stop();
      },
    };
  }
  const line = () => {
    const rate = rateOf(source.done, startedAt);
    stream.write(
      `progress: ${source.done}/${source.total} done (${source.errors} error(s)), ${rate.toFixed(1)} tasks/s, ` +
        `${source.connectedWorkers()} worker(s), about ${eta(source.done, source.total, rate)} left\n`,
    );
  };
  const timer = setInterval(line, STATUS_INTERVAL_MS);
  return { stop: () => clearInterval(timer) };
}

/** The end-of-run summary lines. */
export function summaryLines(summary: JobRunSummary, jobLabel: string): string[] {
  const seconds = summary.durationMs / 1000;
  const rate = seconds > 0 ? summary.tasks / seconds : 0;
  const lines = [
    `${jobLabel}: ${summary.tasks} tasks, ${summary.results} results, ${summary.errors} errors, ` +
      `${summary.duplicates} duplicates ignored, ${summary.redeliveries} redelivered, ` +
      `${seconds.toFixed(1)} s (${rate.toFixed(1)} tasks/s)`,
  ];
  if (summary.malformed > 0) lines.push(`  ${summary.malformed} malformed result(s) ignored`);
  for (const w of summary.workers) {
    const n = w.results + w.errors;
    const share = summary.tasks > 0 ? (100 * n) / summary.tasks : 0;
    lines.push(
      `  worker ${w.id} (${w.agent}): ${n} task(s), ${share.toFixed(1)} %${w.errors > 0 ? `, ${w.errors} error(s)` : ''}`,
    );
  }
  return lines;
}
