/**
 * Checks a journal file before this process opens it. LMDB trusts its file:
 * a truncated or foreign file makes it abort or segfault the process that
 * reads it (measured here: an assertion in mdb_cursor_next for a file cut in
 * half, SIGSEGV for random bytes). So a child process opens it read-only and
 * reads every record first; if the child dies or complains, the file is
 * reported as corrupt and never touched.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { JOURNAL_ERROR_CODES, JournalError } from './errors.js';

/** The child's program: open read-only, check that every page it will read lies inside the file, read it all. */
const CHECKER = `
const { open } = require(process.argv[1]);
const { statSync } = require('node:fs');
const path = process.argv[2];
const db = open({ path, readOnly: true, compression: false });
const stats = db.getStats();
const needed = (stats.lastPageNumber + 1) * stats.pageSize;
const size = statSync(path).size;
if (size < needed) { console.log(JSON.stringify({ error: 'the file is ' + size + ' bytes but its last page ends at byte ' + needed + ' (truncated)' })); process.exit(0); }
let records = 0;
for (const _ of db.getRange()) records++;
console.log(JSON.stringify({ records }));
`;

/** Longest a check may take (a journal of millions of results reads in well under a second). */
const CHECK_TIMEOUT_MS = 60_000;

/** Resolves if `path` is absent or a readable journal; rejects with JournalError (JOURNAL_CORRUPT) otherwise. */
export async function checkJournalFile(path: string, lmdbEntry: string): Promise<void> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined; // a new journal
    throw err;
  });
  if (!info) return;
  if (!info.isFile()) throw new JournalError(JOURNAL_ERROR_CODES.corrupt, `journal ${path} is not a file`);
  const outcome = await new Promise<{ records?: number; error?: string }>((resolve) => {
    execFile(
      process.execPath,
      ['-e', CHECKER, lmdbEntry, path],
      { timeout: CHECK_TIMEOUT_MS },
      (err, stdout, stderr) => {
        try {
          const parsed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
          if (parsed && typeof parsed === 'object') return resolve(parsed);
        } catch {}
        const how = err?.signal
          ? `reading it crashed the checker (${err.signal})`
          : (stderr.trim().split('\n').at(-1) ?? 'unreadable');
        resolve({ error: how });
      },
    );
  });
  if (outcome.error !== undefined) {
    throw new JournalError(
      JOURNAL_ERROR_CODES.corrupt,
      `journal ${path} is corrupt or truncated: ${outcome.error}; it was left as it is (move it away, or pass --fresh to start over)`,
    );
  }
}
