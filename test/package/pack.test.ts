/**
 * peerproc as a user installs it: `npm pack`, then the tarball installed into
 * fresh folders outside the checkout, offline (the registry packages come from
 * npm's cache, filled by `npm ci`):
 *  - a Node app (peerproc plus its optional Node packages) runs the seed
 *    example through the installed package and its `peerproc signal`;
 *  - a browser app (peerproc alone) gets no Node-only package, its page
 *    type-checks without @types/node, and Vite's bundle of it holds no
 *    Node-only module; the CLI there names what to install.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOfflineInstall } from '../support/offline-lock.js';
import { collected, killAll } from '../support/processes.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  peerDependencies: Record<string, string>;
};
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const NODE_ONLY = ['node-datachannel', '@node-datachannel', 'ws', 'pino', '@roamhq/wrtc'];

let work = '';
let tarball = '';
let nodeApp = '';
let browserApp = '';

async function npm(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await exec('npm', args, { cwd, maxBuffer: 16 << 20 }).catch((err: { stderr?: string }) => {
    throw new Error(`npm ${args.join(' ')} failed:\n${err.stderr}`);
  });
  return stdout;
}

/** A fresh app folder with peerproc's tarball and `extra` registry packages installed, offline. */
async function app(name: string, extra: string[]): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir);
  copyFileSync(tarball, join(dir, basename(tarball)));
  writeOfflineInstall(ROOT, dir, join(dir, basename(tarball)), extra);
  await npm(dir, ['ci', '--offline', '--no-audit', '--no-fund']);
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'peerproc-pack-'));
  // dist/ is built already (npm test builds first): no prepare script, so no rebuild under running tests.
  const packed = JSON.parse(
    await npm(ROOT, ['pack', '--json', '--ignore-scripts', '--pack-destination', work]),
  ) as Array<{
    filename: string;
  }>;
  tarball = join(work, packed[0]?.filename as string);
  nodeApp = await app('node-app', ['node-datachannel', 'ws', 'pino']);
  browserApp = await app('browser-app', []);
}, 240_000);

afterAll(() => {
  killAll();
  rmSync(work, { recursive: true, force: true });
});

function diskBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}

/** The seed example through the installed package: a master and two workers in one Node script. */
const SEED_SCRIPT = `
import { BaseManager, Empty, PeerShutdownError, Queue, silentLogger } from 'peerproc';
const address = process.argv[2];
const taskQueue = new Queue();
const resultQueue = new Queue();
class QueueManager extends BaseManager {}
QueueManager.register('get_task_queue', () => taskQueue);
QueueManager.register('get_result_queue', () => resultQueue);
const master = new QueueManager({ address, authkey: 'abc' });
await master.start();
const task = await master.get_task_queue();
const result = await master.get_result_queue();
const tasks = Array.from({ length: 10 }, () => Math.floor(Math.random() * 10_001));
for (const n of tasks) await task.put(n);

// A wrong key: the default logger reports it on stderr, never on stdout.
const intruder = new QueueManager({ address, authkey: 'wrong', wait: 5 });
await intruder.connect().then(() => { throw new Error('wrong key accepted'); }, (err) => console.log('intruder:', err.name));

async function work() {
  const m = new QueueManager({ address, authkey: 'abc', logger: silentLogger });
  try {
    await m.connect();
    const t = await m.get_task_queue();
    const r = await m.get_result_queue();
    for (;;) {
      const n = await t.get({ timeout: 1 });
      await r.put(\`\${n} * \${n} = \${n * n}\`);
    }
  } catch (err) {
    if (!(err instanceof Empty || err instanceof PeerShutdownError)) throw err;
  } finally {
    await m.shutdown();
  }
}
const workers = [work(), work()];
const results = [];
for (let i = 0; i < tasks.length; i++) results.push(await result.get({ timeout: 10 }));
await master.shutdown();
await Promise.all(workers);
const expected = tasks.map((n) => \`\${n} * \${n} = \${n * n}\`).sort();
if (JSON.stringify(results.sort()) !== JSON.stringify(expected)) throw new Error('wrong results: ' + results);
for (const r of results) console.log('Result:', r);
`;

describe('the packed package, installed', () => {
  it('a browser app gets peerproc without any Node-only package', () => {
    const installed = readdirSync(join(browserApp, 'node_modules'));
    expect(installed).toContain('peerproc');
    for (const name of NODE_ONLY) expect(installed).not.toContain(name.split('/')[0]);
    // A figure for the report (not an assertion): what a browser app's node_modules holds for peerproc.
    console.info(
      `browser app node_modules: ${installed.length} entries, ${diskBytes(join(browserApp, 'node_modules'))} bytes`,
    );
  });

  it('a Node script importing the package runs the seed example; the default logger writes to stderr', async () => {
    writeFileSync(join(nodeApp, 'seed.mjs'), SEED_SCRIPT);
    const bin = join(nodeApp, 'node_modules', '.bin', 'peerproc');
    const signal = collected(bin, ['signal', '--host', '127.0.0.1', '--port', '0', '--log-level', 'warn']);
    const line = await signal.waitForLine(/listening on ws:\/\/127\.0\.0\.1:\d+/);
    const base = /(ws:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] as string;
    const seed = collected(process.execPath, [join(nodeApp, 'seed.mjs'), `${base}/seed`], {}, {});
    expect(await seed.exited, seed.output()).toBe(0);
    expect(seed.stdout.filter((l) => l.startsWith('Result: '))).toHaveLength(10);
    expect(seed.stdout).toContain('intruder: AuthenticationError');
    expect(seed.stdout.join('\n')).not.toMatch(/failed authentication/);
    expect(seed.stderr.join('\n')).toMatch(/failed authentication/);
    signal.child.kill('SIGTERM');
    expect(await signal.exited).toBe(0);
  });

  it('the CLI names the optional package to install when it is missing', async () => {
    const bin = join(browserApp, 'node_modules', '.bin', 'peerproc');
    const worker = collected(bin, ['worker', '--address', 'ws://127.0.0.1:9/jobs', '--authkey', 'k']);
    expect(await worker.exited).toBe(1);
    expect(worker.stderr.join('\n')).toMatch(
      new RegExp(
        `MissingPackageError: .*needs the node-datachannel and ws packages: npm install node-datachannel@${PKG.peerDependencies['node-datachannel']} ws@${PKG.peerDependencies.ws}$`,
      ),
    );
    const signal = collected(bin, ['signal', '--port', '0']);
    expect(await signal.exited).toBe(1);
    expect(signal.stderr.join('\n')).toMatch(
      new RegExp(
        `MissingPackageError: peerproc signal needs the pino and ws packages: npm install pino@${PKG.peerDependencies.pino} ws@`,
      ),
    );
    // In the Node app everything but @roamhq/wrtc is there: --webrtc wrtc says how to get it (a usage error).
    const wrtc = collected(join(nodeApp, 'node_modules', '.bin', 'peerproc'), [
      'worker',
      '--address',
      'ws://127.0.0.1:9/jobs',
      '--authkey',
      'k',
      '--webrtc',
      'wrtc',
    ]);
    expect(await wrtc.exited).toBe(1);
    expect(wrtc.stderr.join('\n')).toMatch(
      new RegExp(
        `'wrtc' needs the @roamhq/wrtc package: npm install @roamhq/wrtc@${PKG.peerDependencies['@roamhq/wrtc']}$`,
      ),
    );
  });

  it('a Vite page importing the browser entry type-checks without @types/node and bundles no Node-only module', async () => {
    writeFileSync(
      join(browserApp, 'index.html'),
      '<!doctype html><html><head><title>app</title></head><body><script type="module" src="./main.ts"></script></body></html>\n',
    );
    writeFileSync(
      join(browserApp, 'main.ts'),
      `import { BaseManager, type ProxyOf, proxyInfo, Queue, silentLogger } from 'peerproc';

interface Jobs {
  get_task_queue: Queue<number>;
}
const manager = new BaseManager<Jobs>({ address: 'ws://127.0.0.1:8080/jobs', authkey: 'abc', logger: silentLogger });
manager.register('get_task_queue');
const task: ProxyOf<Queue<number>> = await manager.get_task_queue().catch(() => undefined as never);
document.title = String(task?.[proxyInfo]?.exposed.length ?? 0);
`,
    );
    // What \`npm create vite\` writes for a TypeScript app (Bundler resolution, no custom conditions), minus @types/node.
    writeFileSync(
      join(browserApp, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          module: 'ESNext',
          moduleResolution: 'Bundler',
          types: [],
          strict: true,
          noEmit: true,
          isolatedModules: true,
          verbatimModuleSyntax: true,
        },
        include: ['main.ts'],
      }),
    );
    await exec(process.execPath, [TSC, '-p', browserApp]).catch((err: { stdout?: string }) => {
      throw new Error(`tsc failed:\n${err.stdout}`);
    });
    // Records every module Vite put in the bundle.
    writeFileSync(
      join(browserApp, 'vite.config.mjs'),
      `import { writeFileSync } from 'node:fs';
export default {
  logLevel: 'warn',
  build: { target: 'es2022' },
  plugins: [{
    name: 'record-modules',
    generateBundle(_options, bundle) {
      const ids = Object.values(bundle).flatMap((c) => c.moduleIds ?? Object.keys(c.modules ?? {}));
      writeFileSync('modules.json', JSON.stringify(ids));
    },
  }],
};
`,
    );
    await exec(process.execPath, [VITE, 'build'], { cwd: browserApp }).catch((err: { stderr?: string }) => {
      throw new Error(`vite build failed:\n${err.stderr}`);
    });
    const ids = JSON.parse(readFileSync(join(browserApp, 'modules.json'), 'utf8')) as string[];
    const peerproc = ids.filter((id) => id.includes('/node_modules/peerproc/'));
    expect(peerproc.length).toBeGreaterThan(10);
    expect(
      peerproc.every((id) => /\/node_modules\/peerproc\/dist\/(web\/lib|shared)\//.test(id)),
      peerproc.join('\n'),
    ).toBe(true);
    const offending = ids.filter(
      (id) => /(^|\0)node:|browser-external/.test(id) || NODE_ONLY.some((n) => id.includes(`/node_modules/${n}/`)),
    );
    expect(offending).toEqual([]);
    const assets = join(browserApp, 'dist', 'assets');
    const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
    const bytes = js.reduce((sum, f) => sum + statSync(join(assets, f)).size, 0);
    const gzip = js.reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f))).length, 0);
    // The figure the issue asks for (not an assertion): the whole app's JavaScript.
    console.info(`browser bundle: ${js.length} file(s), ${bytes} bytes, ${gzip} gzipped`);
    const tar = statSync(tarball).size;
    console.info(`tarball: ${tarball.split('/').at(-1)} ${tar} bytes`);
  });
});
