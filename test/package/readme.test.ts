/**
 * The README's examples, run as written: extracted from README.md, type-checked
 * for Node and for browsers, compiled and run as ES modules that import
 * `peerproc` (the package's own name, resolved to this checkout's dist/).
 * Only the address changes, to a signaling server on a free port.
 */

import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSignal } from '../support/cli-signal.js';
import { collected, killAll } from '../support/processes.js';
import { README_ADDRESS, readmeExamples, readmeTsBlocks } from '../support/readme-blocks.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Inside the checkout, so that `import ... from 'peerproc'` resolves to the package itself.
const DIR = join(ROOT, 'test-artifacts', `readme-${process.pid}`);
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const COMMON = {
  target: 'ES2022',
  strict: true,
  skipLibCheck: false,
  isolatedModules: true,
  verbatimModuleSyntax: true,
};

function writeJson(file: string, value: unknown): void {
  writeFileSync(join(DIR, file), `${JSON.stringify(value, null, 2)}\n`);
}

let base = '';

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const { master, worker } = readmeExamples();
  writeFileSync(join(DIR, 'master.ts'), master);
  writeFileSync(join(DIR, 'worker.ts'), worker);
  // Node: as a Node project type-checks and builds them.
  writeJson('tsconfig.node.json', {
    compilerOptions: { ...COMMON, lib: ['ES2022'], module: 'NodeNext', types: ['node'], rootDir: '.', outDir: 'out' },
    files: ['master.ts', 'worker.ts'],
  });
  // Browser: as a Vite app does, with the DOM and without @types/node.
  writeJson('tsconfig.browser.json', {
    compilerOptions: {
      ...COMMON,
      lib: ['ES2022', 'DOM'],
      module: 'ESNext',
      moduleResolution: 'Bundler',
      customConditions: ['browser'],
      types: [],
      rootDir: '.',
      noEmit: true,
    },
    files: ['master.ts', 'worker.ts'],
  });
});

afterAll(() => {
  killAll();
  rmSync(DIR, { recursive: true, force: true });
});

async function tsc(config: string): Promise<void> {
  await run(process.execPath, [TSC, '-p', join(DIR, config)], { cwd: DIR }).catch((err: { stdout?: string }) => {
    throw new Error(`tsc -p ${config} failed:\n${err.stdout}`);
  });
}

/** Runs a compiled example with only its address replaced, by this test's server and `room`. */
function example(name: 'master' | 'worker', room: string) {
  const compiled = readFileSync(join(DIR, 'out', `${name}.js`), 'utf8');
  const file = join(DIR, 'out', `${name}.${room}.js`);
  writeFileSync(file, compiled.replace(README_ADDRESS, `${base}/${room}`));
  return collected(process.execPath, [file]);
}

/** Ended without an uncaught error: no `Name: message` line printed by Node and no stack frame. */
function expectCleanEnd(run: { stderr: string[]; output(): string }): void {
  const uncaught = run.stderr.filter((l) => /^\s+at |^(\w+)?Error: |^node:internal/.test(l));
  expect(uncaught, run.output()).toEqual([]);
}

describe('README examples', () => {
  it('has exactly the two examples, each with its imports and types', () => {
    expect(readmeTsBlocks()).toHaveLength(2);
    const { master, worker } = readmeExamples();
    for (const block of [master, worker]) {
      expect(block).toMatch(/^import \{[^}]+\} from 'peerproc';/);
      expect(block).toMatch(/interface Jobs/);
      expect(block.split(README_ADDRESS)).toHaveLength(2);
    }
  });

  it('type-check for Node and for browsers (without @types/node)', async () => {
    await tsc('tsconfig.node.json');
    await tsc('tsconfig.browser.json');
  });

  it('run: master and worker together, a worker after the master shut down, a worker with no master', async () => {
    const signal = await startSignal();
    base = signal.base;

    const master = example('master', 'jobs');
    const worker = example('worker', 'jobs');
    expect(await master.exited, master.output()).toBe(0);
    expect(await worker.exited, worker.output()).toBe(0);
    const results = master.stdout.filter((l) => l.startsWith('Result: '));
    expect(results).toHaveLength(10);
    for (const r of results) {
      const [, n, n2, sq] = /^Result: (\d+) \* (\d+) = (\d+)$/.exec(r) ?? [];
      expect(n).toBe(n2);
      expect(Number(sq)).toBe(Number(n) ** 2);
    }
    // No uncaught error (the default logger may report a peer connection retried after a libdatachannel flake).
    expectCleanEnd(master);
    expectCleanEnd(worker);

    // The run is over: a late worker ends at once and cleanly (PeerShutdownError from connect()).
    const late = example('worker', 'jobs');
    expect(await late.exited, late.output()).toBe(0);
    expectCleanEnd(late);
    expect(late.stderr.filter((l) => l !== '')).toEqual([]);

    // No master at all: after the manager's `wait` (10 s), ConnectTimeoutError, said in one line.
    const alone = example('worker', 'empty');
    expect(await alone.exited, alone.output()).toBe(0);
    expect(alone.stderr.filter((l) => l !== '')).toEqual([
      expect.stringMatching(/^no master: no master reachable at ws:\/\/127\.0\.0\.1:\d+\/empty within 10 s/),
    ]);
    expect(await signal.stop()).toBe(0);
  });
});
