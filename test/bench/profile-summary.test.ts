/**
 * `node dist/bench/profile-summary.js`, the reader of the CPU profiles that
 * `run.js --cpu-prof` leaves, on a real profile: one made here by
 * `node --cpu-prof` running a busy loop. No WebRTC, no timed assertions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SUMMARY = resolve(import.meta.dirname, '../../dist/bench/profile-summary.js');

function summary(args: string[]) {
  const run = spawnSync(process.execPath, [SUMMARY, ...args], { encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

let dir: string;
/** A folder with no profile in it. */
let empty: string;

beforeAll(async () => {
  if (!existsSync(SUMMARY)) throw new Error(`${SUMMARY} is missing: run \`npm run build\` first (npm test does).`);
  dir = await mkdtemp(join(tmpdir(), 'peerproc-profile-'));
  empty = await mkdtemp(join(tmpdir(), 'peerproc-no-profile-'));
  // About 300 ms of one named function spinning: it must top the self-time list.
  const script =
    'function spinForTheProfile(){const end=Date.now()+300;let x=0;while(Date.now()<end)x++;return x}spinForTheProfile()';
  const made = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '-e', script]);
  expect(made.status).toBe(0);
});

afterAll(async () => {
  for (const d of [dir, empty]) if (d) await rm(d, { recursive: true, force: true });
});

describe('profile-summary', () => {
  it('names the busiest function of a real profile, with the busy share and a timeline', () => {
    const run = summary([dir, '--top', '3']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\d+ % busy/);
    expect(run.stdout).toMatch(/top 3 functions by self time:\n +[\d.]+ % +spinForTheProfile/);
    const timeline = summary([dir, '--timeline', '100']);
    expect(timeline.code, timeline.stderr).toBe(0);
    expect(timeline.stdout).toMatch(/busy share per 100 ms\n +0 ms +\d+ %/);
  });

  it('answers --help with its usage, and a bad option with a one-line message and exit 2', () => {
    const help = summary(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: profile-summary DIR/);
    const bad = summary([dir, '--top', 'zero']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^profile-summary: .*--top must be an integer ≥ 1, got `zero`\n$/);
    const none = summary([empty]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no \.cpuprofile files in/);
  });
});
