/**
 * peerproc's own package: its root directory and package.json, found upwards
 * from the running file. That file is node/ in a checkout run by Vitest,
 * dist/node/ after tsc, or dist/bundle/ (and its chunks/) in the bundle the
 * `peerproc` command and the package's Node entry run (scripts/bundle-node.mjs),
 * so no fixed relative path fits them all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageManifest {
  name: string;
  version: string;
  bin?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** How far up from the running file package.json can be (dist/bundle/chunks/ is three levels down). */
const MAX_LEVELS_UP = 4;

let found: { root: string; manifest: PackageManifest } | undefined;

/** Found once per process: the file does not move while it runs. */
const located = () => (found ??= find());

function find(): { root: string; manifest: PackageManifest } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i <= MAX_LEVELS_UP; i++, dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as PackageManifest;
    if (manifest.name === 'peerproc') return { root: dir, manifest };
  }
  throw new Error(`peerproc's package.json was not found above ${fileURLToPath(import.meta.url)}`);
}

/** The package's root directory (where package.json is). */
export function packageRoot(): string {
  return located().root;
}

export function packageManifest(): PackageManifest {
  return located().manifest;
}

/** The file the `peerproc` command runs (package.json's bin), absolute. */
export function cliPath(): string {
  const bin = packageManifest().bin?.peerproc;
  if (!bin) throw new Error("peerproc's package.json has no bin entry for peerproc");
  return resolve(packageRoot(), bin);
}
