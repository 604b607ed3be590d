/**
 * Jobs in real headless Chromium tabs, with real `peerproc master --job` and
 * `peerproc worker --job` processes, inside the network namespace:
 *
 *   scripts/netns.sh npx vitest run test/jobs/browser-jobs.test.ts
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonLine } from '../../shared/jobs/json-lines.js';
import type { JobRecord } from '../../shared/jobs/master-run.js';
import type { SignalingServer } from '../../signaling/index.js';
import type { MasterPageHook, WorkerPageHook } from '../../web/src/hooks.js';
import { buildPages } from '../browser/support/build.js';
import { assertInNetns, chromiumPath, launchChromium } from '../browser/support/chromium.js';
import { closeTab, openTab, screenshot, type Tab, waitFor, waitForHook, workerUrl } from '../browser/support/pages.js';
import { jobMasterArgs, killAll, peerproc, type Run } from '../support/processes.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';
import { checkExactlyOnce, EXAMPLES, FIXTURES, primesBelow, readResults, tempDir, writeTasks } from './support.js';

const AUTHKEY = 'jobs-browser-key';
const ENV = { PEERPROC_AUTHKEY: AUTHKEY };

let staticDir: string;
let signaling: SignalingServer;
let browser: Browser;
let work: Awaited<ReturnType<typeof tempDir>>;
const tabs: Tab[] = [];
/** The signaling server's log lines (debug level: every HTTP request and WebSocket connection). */
const serverLog: string[] = [];
const figures: Record<string, unknown> = {};

async function tab(url: string): Promise<Tab> {
  const opened = await openTab(browser, url);
  tabs.push(opened);
  return opened;
}

function master(room: string, job: string, tasksFile: string, results: string, extra: string[] = []): Run {
  return peerproc(jobMasterArgs(signaling.wsUrl(room), job, tasksFile, results, extra), ENV);
}

const hasJob = (h: WorkerPageHook) => h.job !== null;

beforeAll(async () => {
  assertInNetns();
  chromiumPath();
  work = await tempDir();
  staticDir = await buildPages();
  const logger = pino({ level: 'debug' }, { write: (line: string) => void serverLog.push(line) });
  signaling = await startTestSignaling({ staticDir, logger });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const t of tabs) await closeTab(t);
  await browser?.close().catch(() => {});
  killAll();
  await signaling?.close();
  await work?.remove();
  if (Object.keys(figures).length) console.log('job figures:', JSON.stringify(figures, null, 2));
});

describe('jobs in worker pages', () => {
  it('runs the primes example on a Node worker and two tabs: every result correct, exactly once, both kinds worked', async () => {
    const room = freshRoom('job-mixed');
    // Enough work to outlast every worker's start (the Node worker's thread comes up after the tabs'
    // sandboxes): with 300 of these tasks the two tabs once took them all before it asked for one.
    const limits = Array.from({ length: 3000 }, (_, i) => 30_000 + 97 * (i % 300));
    const tasksFile = await writeTasks(join(work.dir, 'mixed.jsonl'), limits);
    const results = join(work.dir, 'mixed.results.jsonl');
    const job = join(EXAMPLES, 'primes.mjs');
    const run = master(room, job, tasksFile, results, ['--min-workers', '3']);
    await run.line(/serving job/, 'stderr');
    const pages = [
      await tab(`${workerUrl(signaling.url, room, AUTHKEY).replace('#', '&threads=2#')}`),
      await tab(`${workerUrl(signaling.url, room, AUTHKEY).replace('#', '&threads=2#')}`),
    ];
    // The tabs have their sandboxes up before the third worker lets the master put its tasks.
    await Promise.all(pages.map((p) => waitForHook<WorkerPageHook>(p, 'the job loaded', hasJob)));
    const node = peerproc(['worker', '--address', signaling.wsUrl(room), '--job', job, '--threads', '1'], ENV);
    expect(await run.exited, run.output()).toBe(0);
    expect(await node.exited, node.output()).toBe(0);
    const records = checkExactlyOnce(await readResults(results), limits.length);
    for (const [index, record] of records) expect(record.result, `task ${index}`).toBe(primesBelow(limits[index]));
    const agents = new Set([...records.values()].map((r) => r.worker.agent));
    expect([...agents].sort()).toEqual(['browser', 'node-datachannel']);
    const browserIds = new Set(
      [...records.values()].filter((r) => r.worker.agent === 'browser').map((r) => r.worker.id),
    );
    // Which tabs get tasks is up to the queue (both usually do); each is a browser worker of its own.
    expect(browserIds.size).toBeGreaterThanOrEqual(1);
    const hooks = await Promise.all(pages.map((p) => waitForHook<WorkerPageHook>(p, 'the job shown', hasJob)));
    for (const h of hooks) {
      expect(h.job?.name).toBe('count primes (trial division)');
      expect(h.job?.threads).toBe(2);
    }
    expect(run.stderr.join('\n')).toMatch(/3,?000 tasks, 3,?000 results, 0 errors, 0 duplicates ignored/);
    await screenshot(pages[0].page, 'worker-page-job', 'worker-page-job.png');
  });

  it('confines a job: fetch, WebSocket, import() and importScripts fail in the sandbox and the server sees none of them', async () => {
    const room = freshRoom('job-sandbox');
    const http = signaling.url;
    const ws = http.replace(/^http/, 'ws');
    const tasksFile = await writeTasks(join(work.dir, 'probe.jsonl'), [{ http, ws }]);
    const results = join(work.dir, 'probe.results.jsonl');
    const run = master(room, join(FIXTURES, 'net-probe.mjs'), tasksFile, results);
    await run.line(/serving job/, 'stderr');
    const page = await tab(workerUrl(signaling.url, room, AUTHKEY));
    expect(await run.exited, run.output()).toBe(0);
    const [record] = await readResults(results);
    expect(record.worker.agent).toBe('browser');
    const outcome = record.result as Record<string, string>;
    for (const key of ['fetch', 'websocket', 'import', 'importScripts', 'xhr']) {
      expect(outcome[key], `${key}: ${JSON.stringify(outcome)}`).toMatch(/^blocked/);
    }
    // The same requests from the page itself do reach the server: the log would show the job's.
    await page.page.evaluate(async (base) => {
      await fetch(`${base}/job-probe-control`).catch(() => {});
    }, http);
    await waitFor('the control request in the server log', () =>
      serverLog.some((l) => l.includes('/job-probe-control')),
    );
    const fromJob = serverLog.filter((l) => /job-probe-(fetch|websocket|import|importscripts|xhr)/.test(l));
    expect(fromJob).toEqual([]);
    // And the sandbox page came with its policy.
    const response = await fetch(`${http}/sandbox.html`);
    expect(response.headers.get('content-security-policy')).toMatch(/sandbox allow-scripts.*connect-src 'none'/);
  });

  it('reports a task past --task-timeout as a timeout error, replaces its Web Worker and keeps serving', async () => {
    const room = freshRoom('job-timeout');
    const tasks = [
      { id: 'a', spinMs: 0 },
      { id: 'stuck', spinMs: 600_000 },
      ...Array.from({ length: 20 }, (_, i) => ({ id: `after-${i}`, spinMs: 5 })),
    ];
    const tasksFile = await writeTasks(join(work.dir, 'spin.jsonl'), tasks);
    const results = join(work.dir, 'spin.results.jsonl');
    const run = master(room, join(FIXTURES, 'spin.mjs'), tasksFile, results, ['--task-timeout', '1']);
    await run.line(/serving job/, 'stderr');
    const page = await tab(`${workerUrl(signaling.url, room, AUTHKEY).replace('#', '&threads=1#')}`);
    expect(await run.exited, run.output()).toBe(0);
    const records = checkExactlyOnce(await readResults(results), tasks.length);
    expect(records.get(1)?.error?.name).toBe('TaskTimeoutError');
    for (const [index, record] of records) {
      if (index !== 1) expect(record.result, JSON.stringify(record)).toBe(tasks[index].id);
      expect(record.worker.agent).toBe('browser');
    }
    const hook = await waitForHook<WorkerPageHook>(page, 'all outcomes counted', (h) => h.done === tasks.length);
    expect(hook.jobErrors).toBe(1);
    expect(run.stderr.join('\n')).toMatch(/22 tasks, 21 results, 1 errors/);
  });

  it('redelivers the tasks of a tab closed mid-run: each result once', async () => {
    const room = freshRoom('job-close');
    const limits = Array.from({ length: 200 }, (_, i) => 60_000 + 13 * i);
    const tasksFile = await writeTasks(join(work.dir, 'close.jsonl'), limits);
    const results = join(work.dir, 'close.results.jsonl');
    const run = master(room, join(EXAMPLES, 'primes.mjs'), tasksFile, results, ['--min-workers', '2']);
    await run.line(/serving job/, 'stderr');
    const url = workerUrl(signaling.url, room, AUTHKEY).replace('#', '&threads=2#');
    const doomed = await tab(url);
    const survivor = await tab(url);
    await waitForHook<WorkerPageHook>(doomed, 'a few results from the tab to close', (h) => h.done >= 5, 60_000);
    await closeTab(doomed);
    expect(await run.exited, run.output()).toBe(0);
    const records = checkExactlyOnce(await readResults(results), limits.length);
    for (const [index, record] of records) expect(record.result).toBe(primesBelow(limits[index]));
    const summary = run.stderr.join('\n');
    const redelivered = Number(/(\d+) redelivered/.exec(summary)?.[1]);
    expect(redelivered, summary).toBeGreaterThan(0);
    expect((await waitForHook<WorkerPageHook>(survivor, 'survivor results', (h) => h.done > 0)).done).toBeGreaterThan(
      0,
    );
  });

  it('master page: picks a bundled job and a tasks file, a tab and a Node worker run it, results download as JSON lines', async () => {
    const room = freshRoom('job-page');
    const bundle = join(work.dir, 'primes.bundle.mjs');
    const bundled = peerproc(['bundle', join(EXAMPLES, 'primes.mjs'), '--out', bundle]);
    expect(await bundled.exited, bundled.output()).toBe(0);
    const limits = Array.from({ length: 120 }, (_, i) => 50_000 + 31 * i);
    const tasksFile = await writeTasks(join(work.dir, 'page.jsonl'), limits);
    const masterTab = await tab(`${signaling.url}/master?room=${encodeURIComponent(room)}`);
    await masterTab.page.getByTestId('authkey').fill(AUTHKEY);
    await masterTab.page.getByTestId('job-file').setInputFiles(bundle);
    await masterTab.page.getByTestId('tasks-file').setInputFiles(tasksFile);
    const worker = await tab(`${workerUrl(signaling.url, room, AUTHKEY).replace('#', '&threads=2#')}`);
    await waitForHook<WorkerPageHook>(worker, 'the tab waiting for a master', (h) => h.state === 'waiting');
    // The Node worker runs the original module: its own bundle has the page's hash.
    const node = peerproc(
      ['worker', '--address', signaling.wsUrl(room), '--job', join(EXAMPLES, 'primes.mjs'), '--threads', '1'],
      ENV,
    );
    await masterTab.page.getByTestId('start').click();
    await waitForHook<WorkerPageHook>(worker, 'the job loaded in the tab', hasJob);
    const done = await waitForHook<MasterPageHook>(
      masterTab,
      'the page run to complete',
      (h) => h.state === 'done',
      60_000,
    );
    expect(done.summary).toMatchObject({ tasks: limits.length, verified: limits.length, errors: 0, duplicates: 0 });
    expect(done.job?.name).toBe('primes.bundle');
    const download = masterTab.page.waitForEvent('download');
    await masterTab.page.getByTestId('download-jsonl').click();
    const path = await (await download).path();
    const records = (await readFile(path, 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => parseJsonLine(l) as JobRecord);
    const byIndex = checkExactlyOnce(records, limits.length);
    for (const [index, record] of byIndex) expect(record.result).toBe(primesBelow(limits[index]));
    expect(new Set(records.map((r) => r.worker.agent)).has('browser')).toBe(true);
    await screenshot(masterTab.page, 'master-page-job', 'master-page-job.png');
    await masterTab.page.getByTestId('stop').click();
    expect(await node.exited, node.output()).toBe(0);
    expect(node.stdout.join('\n')).toMatch(/running job "primes.bundle"/);
  });
});
