/**
 * The worker page for the browser section. Built fresh from web/ into a
 * temporary folder (Vite, well under a second), so the page always speaks the
 * same protocol as the core being measured; web/dist is used only when no
 * build is possible, and the section is skipped when neither exists.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT, WEB_DIST, webWorkerPageBuilt } from './paths.js';

export type Pages =
  | { dir: string; origin: 'built for this run' | 'web/dist'; cleanup(): Promise<void> }
  | { skipped: string };

const VITE_CONFIG = resolve(ROOT, 'web/vite.config.ts');

export async function preparePages(log: (message: string) => void): Promise<Pages> {
  if (existsSync(VITE_CONFIG)) {
    const dir = await mkdtemp(join(tmpdir(), 'peerproc-bench-web-'));
    try {
      const { build } = await import('vite');
      await build({
        configFile: VITE_CONFIG,
        logLevel: 'error',
        build: { outDir: dir, emptyOutDir: true, sourcemap: false },
      });
      if (existsSync(join(dir, 'worker.html'))) {
        return { dir, origin: 'built for this run', cleanup: () => rm(dir, { recursive: true, force: true }) };
      }
    } catch (err) {
      log(`note: building the web pages failed (${(err as Error).message.split('\n')[0]}); trying web/dist`);
    }
    await rm(dir, { recursive: true, force: true });
  }
  if (webWorkerPageBuilt()) return { dir: WEB_DIST, origin: 'web/dist', cleanup: async () => {} };
  return { skipped: 'n/a (worker page not built)' };
}
