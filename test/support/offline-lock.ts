/**
 * Installs a packed peerproc into a fresh folder offline, as a user's `npm ci`
 * would: a package.json plus a package-lock.json whose registry entries are
 * copied from this checkout's lock (so npm takes them from its cache by
 * integrity, filled by `npm ci`, and never asks the registry).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  [key: string]: unknown;
}

/** The lock entries of `names` and everything they depend on, from `repoLock` (its layout is flat). */
function closure(repoLock: Record<string, LockEntry>, names: string[]): Record<string, LockEntry> {
  const out: Record<string, LockEntry> = {};
  const pending = [...names];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    const key = `node_modules/${name}`;
    const entry = repoLock[key];
    if (!entry || out[key]) continue; // other platforms' optional binaries are not in the lock
    const { dev: _dev, ...rest } = entry;
    out[key] = rest;
    pending.push(...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}));
  }
  return out;
}

/**
 * Writes `dir`'s package.json and package-lock.json: peerproc from `tarball`
 * (copied next to them) plus `extra` registry packages pinned as in the checkout.
 */
export function writeOfflineInstall(root: string, dir: string, tarball: string, extra: string[]): void {
  const repo = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, unknown>;
    bin: Record<string, string>;
    engines: Record<string, string>;
    license: string;
  };
  const spec = `file:${basename(tarball)}`;
  const wanted = Object.fromEntries(extra.map((n) => [n, repo.packages[`node_modules/${n}`]?.version ?? '']));
  const dependencies = { peerproc: spec, ...wanted };
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: basename(dir), private: true, type: 'module', dependencies }, null, 2)}\n`,
  );
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const lock = {
    name: basename(dir),
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: basename(dir), dependencies },
      'node_modules/peerproc': {
        version: pkg.version,
        resolved: spec,
        integrity,
        license: pkg.license,
        dependencies: pkg.dependencies,
        bin: pkg.bin,
        engines: pkg.engines,
        peerDependencies: pkg.peerDependencies,
        peerDependenciesMeta: pkg.peerDependenciesMeta,
      },
      ...closure(repo.packages, [...Object.keys(pkg.dependencies), ...extra]),
    },
  };
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
}
