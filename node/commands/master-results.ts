/**
 * The master command's result side: waiting by the stall rule (StallWatch),
 * and the journaled seed run (--journal), which puts only the tasks its
 * journal has not seen answered and prints each result once it is durable.
 */
import { randomTask, transcript } from '../../shared/example.js';
import type { BaseManager } from '../../shared/manager/manager.js';
import { StallWatch } from '../../shared/manager/stall-watch.js';
import type { Queue, QueueEntry } from '../../shared/queue/queue.js';
import { RunJournal } from '../journal/run-journal.js';
import { synchronousOutput, writeLineNow } from '../output.js';
import { EXIT_FAILURE, EXIT_OK, type Jobs } from './common.js';

export interface ResultProgress {
  got: number;
  tasks: number;
  address: string;
}

/** The next result by the stall rule (StallWatch), or undefined after printing why the run stalled. */
export async function nextResult<T>(
  results: Queue<T>,
  watch: StallWatch,
  progress: ResultProgress,
): Promise<QueueEntry<T> | undefined> {
  const next = await watch.next(results);
  if (typeof next !== 'string') return next;
  process.stderr.write(
    `peerproc master: ${next}; got ${progress.got} of ${progress.tasks} results (are workers connected to ${progress.address}?)\n`,
  );
  return undefined;
}

/** Opens the seed run's journal: `tasks` random integers, made once, when the journal is new. */
export function openSeedJournal(path: string, tasks: number, fresh: boolean): Promise<RunJournal<number, string>> {
  return RunJournal.open<number, string>(path, {
    identity: { mode: 'seed', tasks },
    fresh,
    createTasks: () => Array.from({ length: tasks }, randomTask),
  });
}

/** The seed run with a journal: resumes what a crashed master left, records every first result durably. */
export async function runJournaled(
  journal: RunJournal<number, string>,
  manager: BaseManager<Jobs>,
  taskQueue: Queue<number>,
  resultQueue: Queue<string>,
  { timeout, address, quiet }: { timeout: number; address: string; quiet: boolean },
  out: (line: string) => void,
  /** This run's new results and ignored duplicates, for the summary line. */
  tally: { accepted: number; duplicates: number },
): Promise<number> {
  const watch = new StallWatch(manager, taskQueue, timeout);
  synchronousOutput();
  try {
    if (journal.answeredCount > 0) {
      out(`Resume: ${journal.answeredCount} of ${journal.total} tasks already answered (journal ${journal.path})`);
    }
    await journal.putUnanswered(taskQueue, (n) => out(transcript.putTask(n)));
    out('Try get results...');
    // Printed only once durable, a batch in one write: a crash before the commit leaves those tasks unanswered.
    // Handed to the OS now, synchronously: a crash must not find a result committed but unwritten.
    journal.onDurable(
      (batch, text: string) => {
        tally.accepted += batch.length;
        if (!quiet) writeLineNow(text);
      },
      (batch) => batch.map(({ result }) => transcript.result(result)).join('\n'),
    );
    while (!journal.complete) {
      const progress = { got: journal.answeredCount, tasks: journal.total, address };
      const entry = await nextResult(resultQueue, watch, progress);
      if (entry === undefined) return EXIT_FAILURE;
      if (!journal.record(entry)) tally.duplicates++;
    }
    return EXIT_OK;
  } finally {
    watch.close();
    await journal.close();
  }
}
