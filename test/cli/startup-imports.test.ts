/**
 * What a `peerproc worker` loads before it can connect: its start-up time is
 * part of its time to first task (docs/performance.md). The command is the
 * bundle (dist/bundle, package.json's bin); only the packages a worker uses
 * may load with it. esbuild (job bundling), lmdb (the run journal), pino and
 * ioredis (the signaling server) load when a command needs them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, collected, killAll } from '../support/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'peerproc-imports-'));
/** Loaded with --import: at exit, prints the packages in the CommonJS module cache (ws, node-datachannel, esbuild... are CommonJS). */
const PROBE = join(dir, 'probe.mjs');
writeFileSync(
  PROBE,
  `import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const names = Object.keys(cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean);
  process.stderr.write('LOADED ' + JSON.stringify([...new Set(names)]) + '\\n');
});
`,
);
const NOT_FOR_A_WORKER = ['esbuild', 'lmdb', 'pino', 'ioredis', 'cli-progress', '@roamhq/wrtc'];

afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

async function loadedBy(args: string[]): Promise<string[]> {
  const run = collected(process.execPath, ['--import', PROBE, CLI, ...args]);
  const code = await run.exited;
  expect(code, run.output()).toBe(0);
  const line = run.stderr.find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`the probe printed nothing:\n${run.output()}`);
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}

describe('start-up of the peerproc command', () => {
  it('is the bundle that package.json names as bin', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { peerproc: string } };
    expect(resolve(ROOT, manifest.bin.peerproc)).toBe(CLI);
    expect(CLI).toContain(join('dist', 'bundle'));
  });

  it('a worker loads the WebRTC binding and ws, and no package it does not use', async () => {
    const loaded = await loadedBy(['worker', '--help']);
    expect(loaded).toEqual(expect.arrayContaining(['node-datachannel', 'ws']));
    for (const name of NOT_FOR_A_WORKER) expect(loaded).not.toContain(name);
  });

  it('esbuild loads when a command bundles a job (the probe sees packages loaded late)', async () => {
    const job = join(dir, 'job.mjs');
    writeFileSync(job, 'export default (n) => n * n;\n');
    expect(await loadedBy(['bundle', job, '--out', join(dir, 'job.bundle.js')])).toContain('esbuild');
  });
});
