/**
 * `node dist/bench/experiments/cli-timeline.js`, the experiment behind the
 * CLI row's floor (docs/performance.md): a real `peerproc master` and worker
 * over real WebRTC (npm test runs inside the network namespace), on a short
 * run. It checks the moments are reported in order and a bad option is
 * refused; no timed assertions.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../bench/lib/children.js';

const EXPERIMENT = resolve(import.meta.dirname, '../../dist/bench/experiments/cli-timeline.js');

/** The experiment run to its end (SIGKILLed past 50 s, before the test's own timeout). */
const run = (args: string[]) => runCommand(process.execPath, [EXPERIMENT, ...args], { timeoutMs: 50_000 });

beforeAll(() => {
  if (!existsSync(EXPERIMENT))
    throw new Error(`${EXPERIMENT} is missing: run \`npm run build\` first (npm test does).`);
});

describe('cli-timeline experiment', () => {
  it('times a real CLI run: first line, first result and exit, in that order', async () => {
    const { code, stdout, stderr } = await run(['--workers', '1', '--runs', '1', '--tasks', '300']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const m = /^W=1 #1: first line (\d+) ms, first result (\d+) ms, exit (\d+) ms: (\d+) tasks\/s in all/m.exec(stdout);
    expect(m, stdout).not.toBeNull();
    const [firstLine, firstResult, exit] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])];
    expect(firstLine).toBeLessThanOrEqual(firstResult);
    expect(firstResult).toBeLessThanOrEqual(exit);
  }, 60_000);

  it('refuses a bad option with exit 1 and says which', async () => {
    const { code, stderr } = await run(['--runs', 'zero']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^cli-timeline: .*runs/);
  });
});
