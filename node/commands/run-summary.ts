/**
 * `peerproc master`'s last line: how many results, how many duplicates of
 * redelivered tasks were ignored, how long the run took and at what rate.
 * On stderr, so that stdout stays the seed's transcript; `--quiet` keeps this
 * line and drops the per-task ones.
 */
import type { FirstAnswers } from '../../shared/queue/first-answers.js';

export class RunSummary {
  #started: number | undefined;

  /** Marks the start of the run (the first task put). */
  start(): void {
    this.#started = performance.now();
  }

  /** `peerproc master: 10 of 10 results, 0 duplicates ignored, 0.52 s, 19.2 results/s` */
  line(answers: Pick<FirstAnswers, 'accepted' | 'duplicates'>, tasks: number): string {
    const seconds = this.#started === undefined ? 0 : (performance.now() - this.#started) / 1000;
    const rate = seconds > 0 ? answers.accepted / seconds : 0;
    return (
      `peerproc master: ${answers.accepted} of ${tasks} results, ` +
      `${answers.duplicates} duplicate${answers.duplicates === 1 ? '' : 's'} ignored, ` +
      `${seconds.toFixed(2)} s, ${formatRate(rate)} results/s`
    );
  }
}

function formatRate(rate: number): string {
  return rate >= 100 ? Math.round(rate).toLocaleString('en-US') : rate.toFixed(1);
}

/** The stdout printer of a run: `--quiet` drops every line (the summary goes to stderr regardless). */
export function transcript(out: (line: string) => void, quiet: boolean): (line: string) => void {
  return quiet ? () => {} : out;
}
