/**
 * Bundles peerproc's Node side (part of `npm run build`): the `peerproc`
 * command (package.json's bin) and the package's Node entry (its "exports"),
 * from the TypeScript sources into dist/bundle/, with code splitting so that
 * both share one copy of every module and each CLI command still loads only
 * its own chunks.
 *
 * Why: Node loads one file far faster than a tree of modules. A worker's
 * `peerproc worker` imported 85 of peerproc's modules and 44 of its
 * dependencies' in about 95 ms beyond `node -e 0`; the bundle loads in about
 * 50 ms (docs/performance.md). tsc still writes dist/node, dist/shared and
 * dist/signaling: the type declarations, and the modules the test and
 * benchmark runners import directly (the benchmark's peers import the
 * bundle, as 'peerproc').
 *
 * Only the small pure-ESM dependencies go inside. The optional peer
 * dependencies stay outside, so that they remain optional (a missing one is
 * reported with its npm install line), as do the native and CommonJS ones.
 *
 *   node scripts/bundle-node.mjs
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8'));

/** Dependencies bundled in: pure ES modules with no native parts and no optional role. */
const BUNDLED = new Set(['@msgpack/msgpack', '@noble/curves', '@noble/hashes']);

const packages = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
const external = packages.filter((name) => !BUNDLED.has(name)).flatMap((name) => [name, `${name}/*`]);

const OUT_DIR = 'dist/bundle';
// Chunk names carry content hashes: clear the last build's, or they pile up.
rmSync(resolve(ROOT, OUT_DIR), { recursive: true, force: true });

await build({
  absWorkingDir: ROOT,
  entryPoints: { cli: 'node/cli.ts', index: 'node/index.ts' },
  outdir: OUT_DIR,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: 'linked',
  // The CLI's shebang comes from node/cli.ts's first line.
  logLevel: 'warning',
});
