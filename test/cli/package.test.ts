/**
 * The package as users get it: `npm pack`, then an install into an empty
 * folder, offline (the dependencies come from npm's cache, filled by `npm ci`).
 * The installed `peerproc` must run, serve the pages, and its types must
 * import. This is what the `files` list in package.json is for.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collected, killAll } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

let dir: string;
let bin: string;

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * A lock file for the empty project: the tarball, plus the entries of this
 * repository's lock for the package's own dependencies. With it, `npm ci
 * --offline` needs only the tarballs in npm's cache (a plain `npm install`
 * would also ask the registry for package metadata, which the cache lacks).
 */
function writeProject(tarball: string): void {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'probe', version: '0.0.0', dependencies: { peerproc: spec } },
    'node_modules/peerproc': {
      version: manifest.version,
      resolved: spec,
      license: manifest.license,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  type LockEntry = { dev?: boolean; link?: boolean; dependencies?: Record<string, string> };
  const entries = lock.packages as Record<string, LockEntry>;
  for (const [path, entry] of Object.entries(entries)) {
    if (path && !entry.dev && !entry.link) packages[path] = entry;
  }
  // The signaling server's optional packages, as a user installs them beside peerproc (README: Install).
  const peers = { pino: manifest.peerDependencies.pino, ws: manifest.peerDependencies.ws };
  const wanted = Object.keys(peers);
  for (let name = wanted.pop(); name !== undefined; name = wanted.pop()) {
    const path = `node_modules/${name}`;
    const entry = entries[path];
    if (!entry || path in packages) continue;
    const { dev: _dev, ...kept } = entry;
    packages[path] = kept;
    wanted.push(...Object.keys(entry.dependencies ?? {}));
  }
  (packages[''] as { dependencies: Record<string, string> }).dependencies = { peerproc: spec, ...peers };
  const project = {
    name: 'probe',
    version: '0.0.0',
    private: true,
    type: 'module',
    dependencies: { peerproc: spec, ...peers },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(project));
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'probe', version: '0.0.0', lockfileVersion: 3, requires: true, packages }),
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peerproc-pack-'));
  // The build is the test command's first step; packing must not rebuild (prepare) meanwhile.
  const tarball = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir, ROOT], dir).trim();
  writeProject(join(dir, tarball));
  // Install scripts (node-datachannel's native download) are skipped: nothing here opens a peer connection.
  run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel', 'error'], dir);
  bin = join(dir, 'node_modules/.bin/peerproc');
}, 180_000);

afterAll(() => {
  killAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package, installed into an empty folder', () => {
  it('ships the library, the CLI, the pages and the docs, and no tests, benchmarks or sources', () => {
    const files = run('tar', ['tzf', join(dir, `peerproc-${manifest.version}.tgz`)], dir)
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    for (const needed of [
      'dist/bundle/cli.js',
      'dist/bundle/index.js',
      'dist/node/index.js',
      'dist/node/index.d.ts',
      'dist/web/lib/index.js',
      'web/dist/worker.html',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
    ]) {
      expect(files).toContain(needed);
    }
    expect(files.filter((f) => /^(test|bench|scripts|dist\/bench)\/|\.test\.|^shared\/.*\.ts$/.test(f))).toEqual([]);
  });

  it('runs `peerproc --version` and `-v`', () => {
    expect(run(bin, ['--version'], dir).trim()).toBe(manifest.version);
    expect(run(bin, ['-v'], dir).trim()).toBe(manifest.version);
  });

  it('serves the worker page from `peerproc signal`', async () => {
    const signal = collected(bin, ['signal', '--host', '127.0.0.1', '--port', '0', '--log-level', 'warn']);
    const line = await signal.waitForLine(/listening on ws:\/\/127\.0\.0\.1:\d+/);
    const port = /127\.0\.0\.1:(\d+)/.exec(line)?.[1];
    const response = await fetch(`http://127.0.0.1:${port}/worker`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/<html/i);
    signal.child.kill('SIGTERM');
    expect(await signal.exited).toBe(0);
  });

  it('gives TypeScript users its types', () => {
    writeFileSync(
      join(dir, 'probe.ts'),
      [
        "import { BaseManager, Empty, type ErrorCode, type ProxyOf, type Queue } from 'peerproc';",
        'type Jobs = { get_task_queue: Queue<number> };',
        "const manager: BaseManager<Jobs> = new BaseManager<Jobs>({ address: 'ws://127.0.0.1:1/jobs', authkey: 'k' });",
        'const getter: () => Promise<ProxyOf<Queue<number>>> = () => manager.get_task_queue();',
        'const code: ErrorCode = new Empty().code;',
        'export { code, getter };',
      ].join('\n'),
    );
    const flags = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
    run(process.execPath, [TSC, ...flags, '--target', 'es2022', 'probe.ts'], dir);
    // And a mistake is caught, so the check above can fail.
    writeFileSync(
      join(dir, 'wrong.ts'),
      "import { Empty } from 'peerproc';\nconst n: number = new Empty().code;\nexport { n };\n",
    );
    expect(() => run(process.execPath, [TSC, ...flags, 'wrong.ts'], dir)).toThrow(/not assignable/);
  });
});
