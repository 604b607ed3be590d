/**
 * The benchmark still runs: `node dist/bench/run.js --smoke` (tiny sizes,
 * every section, about half a minute) finishes with exit 0, prints the
 * side-by-side table and writes JSON with every expected key. No timed
 * assertions: figures are the benchmark's business, not the test suite's.
 * Runs inside scripts/netns.sh like every WebRTC test, on the build in dist/.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const RUNNER = resolve(import.meta.dirname, '../../dist/bench/run.js');
/** The smoke run takes about 30 s; this bound only stops a hung run from hanging the suite. */
const SMOKE_TIMEOUT_MS = 240_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(args: string[]): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [RUNNER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), SMOKE_TIMEOUT_MS - 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

let dir: string;
let out: string;
let run: Run;

beforeAll(async () => {
  if (process.env.PEERPROC_IN_NETNS !== '1') {
    throw new Error('The benchmark opens WebRTC connections: run inside scripts/netns.sh (npm test does).');
  }
  if (!existsSync(RUNNER)) throw new Error(`${RUNNER} is missing: run \`npm run build\` first (npm test does).`);
  dir = await mkdtemp(join(tmpdir(), 'peerproc-bench-smoke-'));
  out = join(dir, 'smoke.json');
  run = await runBench(['--smoke', '--out', out]);
}, SMOKE_TIMEOUT_MS);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run bench -- --smoke', () => {
  it('exits 0', () => {
    expect(run.code, `stderr:\n${run.stderr.slice(-3000)}\nstdout:\n${run.stdout.slice(-3000)}`).toBe(0);
  });

  it('prints the side-by-side table and the targets summary', () => {
    expect(run.stdout).toMatch(/^\| measure +\| peerproc +\| CPython[^|]* \| ratio +\| target +\| met +\|$/m);
    for (const measure of [
      'tasks/s, W = 1',
      'RPC round trip of one proxy put, p50',
      'Node worker: spawn → first task',
      'authentication handshake (channel open → both authenticated), p50',
      'browser: page load → first task',
      'browser: one tab, seed tasks with a Node master',
      'worker connect(), p90 of 3 setups',
      'payload, worker put → master queue',
      'master RSS per connection',
      'node-datachannel (default): tasks/s',
      'signaling, one process: pairings/s',
      'signaling, three nodes, one Redis: relay latency p99',
      "CPython worker: peerproc master --python-listen / CPython's master",
    ]) {
      expect(run.stdout).toContain(measure);
    }
    expect(run.stdout).toMatch(/^targets met: \d+ of \d+$/m);
  });

  it('writes JSON with every section, row and target', async () => {
    const json = JSON.parse(await readFile(out, 'utf8'));
    expect(json).toMatchObject({ schema: 'peerproc-bench/1', profile: 'smoke', failures: [] });
    expect(Object.keys(json.results).sort()).toEqual([
      'bindings',
      'browser',
      'cli',
      'handshake',
      'journal',
      'many',
      'probe',
      'python-listen',
      'signaling',
      'startup',
      'throughput',
    ]);
    expect(json.machine.node).toBe(process.version);
    const ids = json.rows.map((r: { id: string }) => r.id);
    for (const id of [
      'tasks_per_s_w1',
      'tasks_per_s_w2',
      'rpc_put_p50_us',
      'rpc_put_cold_p99_us',
      'bare_channel_rtt_p50_us',
      'bare_channel_rtt_p99_us',
      'worker_connect_ms',
      'worker_connect_setups_p50_ms',
      'worker_connect_setups_p90_ms',
      'worker_start_to_first_task_ms',
      'handshake_p50_ms',
      'handshake_p99_ms',
      'browser_page_to_first_task_ms',
      'browser_tab_tasks_per_s',
      'payload_put_mbps',
      'payload_get_mbps',
      'many_10_connect_all_s',
      'many_10_tasks_per_s',
      'many_10_mb_per_connection',
      'binding_node-datachannel_tasks_per_s',
      'binding_wrtc_tasks_per_s',
      'signaling_pairings_per_s_1',
      'signaling_relay_p50_ms_1',
      'signaling_relay_p99_ms_3',
      'cli_seed_tasks_per_s_w1',
      'journal_tasks_per_s_w2',
      'python_listen_tasks_per_s_w1',
      'python_listen_tasks_per_s_w2',
    ]) {
      expect(ids).toContain(id);
    }
    for (const row of json.rows) {
      expect(row).toHaveProperty('measure');
      expect(row).toHaveProperty('unit');
      expect(row).toHaveProperty('peerproc');
      // Every peerproc figure was measured (no "failed" / "not run" cells), except a browser's when there is none.
      if (!row.id.startsWith('browser_') || json.results.browser.samples) expect(row.peerproc).toHaveProperty('median');
    }
    expect(json.targets.length).toBeGreaterThan(0);
    for (const target of json.targets) expect([true, false, null]).toContain(target.met);
    // Every result of every seed run was checked, none was wrong.
    for (const entry of Object.values(json.results.throughput.byWorkers) as {
      peerproc: { checked: number; tasks: number; bad: number }[];
    }[]) {
      for (const r of entry.peerproc) {
        expect(r.bad).toBe(0);
        expect(r.checked).toBe(r.tasks);
      }
    }
    // The many-workers section keeps every repeat's run (one in a smoke run), each with every result checked.
    for (const runs of Object.values(json.results.many) as { tasks: number; checked: number; bad: number }[][]) {
      expect(runs).toHaveLength(1);
      for (const r of runs) {
        expect(r.bad).toBe(0);
        expect(r.checked).toBe(r.tasks);
      }
    }
  });
});
