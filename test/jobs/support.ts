/** Helpers of the job tests: tasks files, results files, the job master as a real CLI process. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseJsonLine } from '../../shared/jobs/json-lines.js';
import type { JobRecord } from '../../shared/jobs/master-run.js';

export const EXAMPLES = resolve(import.meta.dirname, '../../examples/jobs');
export const FIXTURES = resolve(import.meta.dirname, 'fixtures');

export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'peerproc-jobs-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeTasks(path: string, tasks: unknown[]): Promise<string> {
  await writeFile(path, `${tasks.map((t) => JSON.stringify(t)).join('\n')}\n`);
  return path;
}

export async function readResults(path: string): Promise<JobRecord[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => parseJsonLine(l) as JobRecord);
}

/** Each index once, in any order; throws naming the missing and repeated ones. */
export function checkExactlyOnce(records: JobRecord[], total: number): Map<number, JobRecord> {
  const byIndex = new Map<number, JobRecord>();
  const repeated: number[] = [];
  for (const r of records) {
    if (byIndex.has(r.index)) repeated.push(r.index);
    byIndex.set(r.index, r);
  }
  const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (repeated.length > 0 || missing.length > 0 || records.length !== total) {
    throw new Error(
      `results not exactly once: ${records.length} lines, missing ${missing.join(',')}; repeated ${repeated.join(',')}`,
    );
  }
  return byIndex;
}

/** The primes example's answer, computed here (a sieve: independent of the job's trial division). */
export function primesBelow(limit: number): number {
  const sieve = new Uint8Array(Math.max(limit, 2));
  let count = 0;
  for (let n = 2; n < limit; n++) {
    if (sieve[n]) continue;
    count++;
    for (let m = n * n; m < limit; m += n) sieve[m] = 1;
  }
  return count;
}
