/** Builds the pages once per test file, into a temporary folder (web/dist stays untouched). */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';

export const WEB_DIR = resolve(import.meta.dirname, '../../../web');

export async function buildPages(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'peerproc-web-'));
  await build({
    configFile: join(WEB_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}
