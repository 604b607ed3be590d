/**
 * `--journal` for a job run: the run's identity is its job bundle's SHA-256
 * and its tasks (their SHA-256), its tasks are the tasks file's, and each
 * task's outcome is kept as its results-file line. A resumed run puts only
 * the unanswered tasks; when the run completes, the results file is written
 * anew from the journal, so it holds each task exactly once whatever the
 * crashes in between (stdout, when there is no --results, gets each line once
 * as it becomes durable, as the seed's transcript does).
 */
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { RunJournal } from '../journal/run-journal.js';

export type JobJournal = RunJournal<unknown, string>;

export function openJobJournal(
  path: string,
  { sha256, tasks, fresh }: { sha256: string; tasks: readonly unknown[]; fresh: boolean },
): Promise<JobJournal> {
  const tasksSha256 = createHash('sha256').update(JSON.stringify(tasks)).digest('hex');
  return RunJournal.open<unknown, string>(path, {
    identity: { mode: 'job', job: sha256, tasks: tasksSha256, count: tasks.length },
    fresh,
    createTasks: () => [...tasks],
  });
}

/** Rewrites `path` with every outcome the journal holds, in task order (via a temporary file and a rename). */
export async function rewriteResults(journal: JobJournal, path: string): Promise<void> {
  const lines: string[] = [];
  for (const [, , line] of journal.answers()) lines.push(line);
  const temporary = `${path}.peerproc-tmp`;
  await writeFile(temporary, lines.length ? `${lines.join('\n')}\n` : '');
  await rename(temporary, path);
}
