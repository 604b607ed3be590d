/**
 * Builds the browser pages into web/dist: worker.html (`/worker` on the
 * signaling server), master.html (`/master`), index.html (`/`) and the job
 * sandbox that worker pages embed (sandbox.html).
 *
 *   npx vite build --config web/vite.config.ts
 *
 * Paths are absolute (Vite's programmatic build and preview misbehave with a
 * relative root) and assets are referenced relatively (`base: './'`), so the
 * same build works at the signaling server's root and from any static host's
 * sub-folder.
 */
import { defineConfig } from 'vite';
import { sandboxPlugin } from './sandbox-build.js';

const webDir = decodeURIComponent(new URL('.', import.meta.url).pathname).replace(/\/$/, '');

export default defineConfig({
  root: webDir,
  base: './',
  publicDir: false,
  clearScreen: false,
  build: {
    outDir: `${webDir}/dist`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // A page should load fast on a volunteer's phone: one small bundle per page, no inlined surprises.
    assetsInlineLimit: 0,
    rolldownOptions: {
      input: {
        index: `${webDir}/index.html`,
        worker: `${webDir}/worker.html`,
        master: `${webDir}/master.html`,
      },
      // Errors cross the wire by class name (`Empty`, `AuthenticationError`): minified names would
      // reach Node workers as `t`, so their `except Empty` (instanceof) would no longer match.
      output: { keepNames: true },
    },
  },
  worker: { format: 'es' },
  // The job sandbox page (sandbox-build.ts): not a Vite page, its script is inlined and allowed by hash.
  plugins: [sandboxPlugin(webDir)],
});
