/**
 * `peerproc bundle FILE [--out FILE]`: the job bundle a master would serve,
 * for the master page (which cannot bundle) or to look at: the same bytes and
 * SHA-256 as `peerproc master --job FILE`.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../shared/errors.js';
import { bundleBytes, bundleSha256 } from '../../shared/jobs/digest.js';
import { EXIT_OK } from '../commands/common.js';
import { loadJob } from './bundle.js';

export const BUNDLE_USAGE = `Usage: peerproc bundle FILE [--out FILE]

  Bundles a job module (an ES module whose default export is (task) => result)
  with its imports into one file, as peerproc master --job serves it: to
  standard output, or to --out. Its name, SHA-256 and size go to standard error.`;

export async function runBundle(argv: string[], out: (line: string) => void): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, help: { type: 'boolean' } },
      allowPositionals: true,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const { values, positionals: files } = parsed;
  if (values.help) {
    out(BUNDLE_USAGE);
    return EXIT_OK;
  }
  if (files.length !== 1) throw new ConfigError(`peerproc bundle takes one job file, got ${files.length}`);
  const { source, name } = await loadJob(files[0]);
  if (typeof values.out === 'string') await writeFile(values.out, source);
  else process.stdout.write(source);
  process.stderr.write(`job "${name}": sha256 ${bundleSha256(source)}, ${bundleBytes(source)} bytes\n`);
  return EXIT_OK;
}
