/**
 * Bundles a job module with esbuild: the module and everything it imports,
 * into one self-contained ES module for browsers (and Node worker threads).
 * The options are fixed and the output minified, so the master and a worker
 * bundling the same file with the same peerproc get the same bytes, and the
 * same SHA-256.
 */
import { basename, dirname, resolve } from 'node:path';
import { JobLoadError } from '../../shared/jobs/errors.js';
import type { JobBundle } from '../../shared/jobs/job-service.js';
import { MAX_JOB_NAME } from '../../shared/jobs/protocol.js';

/** One source for the bundle options: the hash depends on them. */
const BUNDLE_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  write: false,
  logLevel: 'silent',
} as const;

/** The bundle's source text, or JobLoadError naming the file and esbuild's first complaint. */
export async function bundleJobSource(file: string): Promise<string> {
  const entry = resolve(file);
  try {
    // Loaded when a job is bundled, not with the module: a worker with no
    // job of its own never needs esbuild, and importing it costs ~20 ms of start-up.
    const { build } = await import('esbuild');
    const result = await build({ ...BUNDLE_OPTIONS, entryPoints: [entry], absWorkingDir: dirname(entry) });
    const output = result.outputFiles?.[0];
    if (!output) throw new Error('esbuild produced no output');
    return output.text;
  } catch (err) {
    const first = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> })
      .errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    const why = first ? `${first.text}${where}` : (err as Error).message;
    throw new JobLoadError(`cannot bundle the job ${file}: ${why}`);
  }
}

/** A module from its source text, loaded as an ES module (data: URL: no temporary file; threads do the same). */
export function importSource(source: string): Promise<Record<string, unknown>> {
  return import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`);
}

/**
 * Loads a bundle once to check it (a default-exported function) and read its
 * `name` export; the file name stands in when there is none.
 */
export async function inspectJob(source: string, file: string): Promise<{ name: string }> {
  let module: Record<string, unknown>;
  try {
    module = await importSource(source);
  } catch (err) {
    throw new JobLoadError(`the job ${file} throws when loaded: ${(err as Error).message}`);
  }
  if (typeof module.default !== 'function') {
    throw new JobLoadError(
      `the job ${file} must export a function as default (export default (task) => result), got ${typeof module.default}`,
    );
  }
  const name = typeof module.name === 'string' && module.name !== '' ? module.name : basename(file);
  return { name: name.slice(0, MAX_JOB_NAME) };
}

/** Bundles and checks a job file: what a master serves. */
export async function loadJob(file: string): Promise<JobBundle> {
  const source = await bundleJobSource(file);
  const { name } = await inspectJob(source, file);
  return { source, name };
}
