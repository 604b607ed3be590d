/**
 * The browser pages in real headless Chromium, against real signaling
 * servers, Node peers and each other, inside the private network namespace:
 *
 *   scripts/netns.sh npx vitest run test/browser
 *
 * Screenshots land in test-artifacts/browser/ (and in docs/ with
 * PEERPROC_UPDATE_SCREENSHOTS=1). Measured figures are printed and written
 * to test-artifacts/browser/metrics.json.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../../signaling/index.js';
import type { MasterPageHook, WorkerPageHook } from '../../web/src/hooks.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';
import { buildPages } from './support/build.js';
import { assertInNetns, chromiumPath, launchChromium } from './support/chromium.js';
import { type CliWorker, spawnCliWorker, stopCliWorker } from './support/cli-workers.js';
import { collect, collectAnswers, type NodeMaster, randomTasks, startNodeMaster } from './support/node-peers.js';
import {
  ARTIFACTS_DIR,
  closeTab,
  expectedResults,
  masterHook,
  openTab,
  screenshot,
  type Tab,
  waitFor,
  waitForHook,
  workerHook,
  workerUrl,
} from './support/pages.js';

const AUTHKEY = 'browser-suite-key';

let staticDir: string;
let signaling: SignalingServer;
let browser: Browser;
const tabs: Tab[] = [];
const masters: NodeMaster[] = [];
const cliWorkers: CliWorker[] = [];
const extraServers: SignalingServer[] = [];
const metrics: Record<string, unknown> = {};

async function tab(url: string): Promise<Tab> {
  const opened = await openTab(browser, url);
  tabs.push(opened);
  return opened;
}

async function nodeMaster(address: string): Promise<NodeMaster> {
  const master = await startNodeMaster(address, AUTHKEY);
  masters.push(master);
  return master;
}

function cliWorker(address: string): CliWorker {
  const worker = spawnCliWorker(address, AUTHKEY);
  cliWorkers.push(worker);
  return worker;
}

/** Rejects after `ms` instead of hanging. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const isWorking = (h: WorkerPageHook) => h.state === 'working';

beforeAll(async () => {
  assertInNetns();
  chromiumPath(); // fails at once, naming PEERPROC_CHROMIUM, when there is no browser
  staticDir = await buildPages();
  signaling = await startTestSignaling({ staticDir });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const t of tabs) await closeTab(t);
  await browser?.close().catch(() => {});
  await Promise.all(cliWorkers.map(stopCliWorker));
  await Promise.all(masters.map((m) => m.manager.shutdown().catch(() => {})));
  await Promise.all([signaling, ...extraServers].map((s) => s?.close()));
  if (staticDir) await rm(staticDir, { recursive: true, force: true });
  if (Object.keys(metrics).length) {
    await writeFile(join(ARTIFACTS_DIR, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`).catch(() => {});
    console.log('browser worker figures:', JSON.stringify(metrics, null, 2));
  }
});

describe('worker page', () => {
  it('serves a Node master from 3 tabs: every result correct, every tab did a share', async () => {
    const room = freshRoom('tabs');
    const master = await nodeMaster(signaling.wsUrl(room));
    const workers = [];
    for (let i = 0; i < 3; i++) workers.push(await tab(workerUrl(signaling.url, room, AUTHKEY)));
    const connected = await Promise.all(workers.map((w) => waitForHook(w, 'the tab to authenticate', isWorking)));
    await waitFor('3 authenticated browser workers', () => {
      const list = master.manager.workers();
      return list.filter((w) => w.authenticated && w.agent === 'browser').length === 3;
    });
    // As `peerproc master --min-workers 3` does: every tab is asking before the run starts, so each gets a part.
    await waitFor('3 tabs waiting for tasks', () => master.taskQueue.waitingPeers() === 3);

    const tasks = randomTasks(6000);
    for (const n of tasks) await master.taskQueue.put(n);
    const results = await collect(master, tasks.length);
    expect(results.sort()).toEqual(expectedResults(tasks));

    const done = await Promise.all(
      workers.map((w) => waitForHook<WorkerPageHook>(w, 'the last result to register', (h) => h.done > 0)),
    );
    await waitFor('per-worker counts to add up', () => {
      const puts = master.manager.workers().map((w) => w.calls['get_result_queue.put'] ?? 0);
      return puts.reduce((a, b) => a + b, 0) === tasks.length && puts.every((p) => p > 0);
    });
    const final = await Promise.all(workers.map((w) => workerHook(w.page)));
    expect(final.reduce((sum, h) => sum + h.done, 0)).toBe(tasks.length);
    for (const h of final) expect(h.done).toBeGreaterThan(0);
    expect(done).toHaveLength(3);
    await screenshot(workers[0].page, 'worker-page-node-master', 'worker-page.png');

    const span =
      Math.max(...final.map((h) => h.lastResultAtMs ?? 0)) - Math.min(...final.map((h) => h.firstResultAtMs ?? 0));
    metrics.threeTabs = {
      tasks: tasks.length,
      pageLoadToAuthenticatedMs: connected.map((h) => Math.round(h.authenticatedAtMs ?? -1)),
      perTab: final.map((h) => h.done),
      tasksPerSecondAllTabs: Math.round((tasks.length * 1000) / span),
    };
  });

  it('shows a wrong authkey as an authentication error without disturbing the run', async () => {
    const room = freshRoom('wrongkey');
    const master = await nodeMaster(signaling.wsUrl(room));
    const tasks = randomTasks(500);
    for (const n of tasks) await master.taskQueue.put(n);

    const wrong = await tab(workerUrl(signaling.url, room, 'not-the-key'));
    const right = await tab(workerUrl(signaling.url, room, AUTHKEY));
    const results = await collect(master, tasks.length);
    expect(results.sort()).toEqual(expectedResults(tasks));

    const failed = await waitForHook<WorkerPageHook>(
      wrong,
      'the authentication error',
      (h) => h.state === 'auth-failed',
    );
    expect(failed.reason).toMatch(/rejected|authkey/);
    expect(failed.done).toBe(0);
    expect(await wrong.page.getByTestId('state-label').textContent()).toBe('Wrong authkey');
    expect(await wrong.page.getByTestId('status-detail').textContent()).toMatch(/does not accept this authkey/);
    // The master reports the refusal once the refused peer has hung up (or after a short linger).
    await waitFor('the master to report the refused worker', () => master.authFailures.length >= 1, 10_000);
    const good = await waitForHook<WorkerPageHook>(right, 'all results counted', (h) => h.done === tasks.length);
    expect(good.state).toBe('working');
    await screenshot(wrong.page, 'worker-page-wrong-authkey');

    // The volunteer fixes the key in the form and connects again.
    await wrong.page.getByTestId('authkey').fill(AUTHKEY);
    await wrong.page.getByTestId('connect').click();
    const fixed = await waitForHook<WorkerPageHook>(wrong, 'the corrected key to work', isWorking);
    expect(fixed.reason).toBeNull();
    expect(await wrong.page.getByTestId('connect').textContent()).toBe('Disconnect');
    await wrong.page.getByTestId('connect').click();
    await waitForHook<WorkerPageHook>(wrong, 'the tab to disconnect', (h) => h.state === 'stopped', 5_000);
  });

  it('takes a run in batches: one tab, 20,000 tasks, each answered once and correct', async () => {
    const room = freshRoom('batches');
    const master = await nodeMaster(signaling.wsUrl(room));
    const tasks = Array.from({ length: 20_000 }, (_, i) => i); // distinct, so each result names its task
    for (const n of tasks) await master.taskQueue.put(n);
    const worker = await tab(workerUrl(signaling.url, room, AUTHKEY));
    const { answered, duplicates } = await collectAnswers(master, tasks.length);
    expect([...answered.values()].sort()).toEqual(expectedResults(tasks));
    expect(duplicates).toBe(0);
    // The page sent the compute Web Worker many tasks per message, not one (web/src/compute.ts).
    const h = await waitForHook<WorkerPageHook>(worker, 'every result counted', (x) => x.done === tasks.length);
    expect(h.largestComputeBatch).toBeGreaterThan(1);
    metrics.batchedTab = { tasks: tasks.length, largestComputeBatch: h.largestComputeBatch };
  });

  it('redelivers the tasks of a tab closed in the middle of a task to another worker', async () => {
    const room = freshRoom('closed');
    const master = await nodeMaster(signaling.wsUrl(room));
    const tasks = Array.from({ length: 300 }, (_, i) => i); // distinct, so each result names its task
    for (const n of tasks) await master.taskQueue.put(n);
    // 50 ms of work per task: when the tab closes, it is computing one and holds others (prefetched).
    const slow = await tab(`${signaling.url}/worker?room=${room}&work=0.05#authkey=${AUTHKEY}`);
    await waitForHook<WorkerPageHook>(slow, 'a few results from the slow tab', (h) => h.done >= 3, 20_000);
    await closeTab(slow);
    tabs.splice(tabs.indexOf(slow), 1);
    await tab(workerUrl(signaling.url, room, AUTHKEY));

    const { answered, duplicates } = await collectAnswers(master, tasks.length);
    expect([...answered.values()].sort()).toEqual(expectedResults(tasks));
    expect(master.taskQueue.redeliveries).toBeGreaterThan(0);
    metrics.closedTab = { tasks: tasks.length, redeliveries: master.taskQueue.redeliveries, duplicates };
  });

  it('works from a plain-http, non-localhost origin (no WebCrypto there)', async () => {
    const lanAddress = (process.env.PEERPROC_NETNS_ADDRS ?? '').split(',')[0];
    expect(lanAddress, 'PEERPROC_NETNS_ADDRS names the namespace addresses').toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const lan = await startTestSignaling({ staticDir, host: lanAddress });
    extraServers.push(lan);
    const room = freshRoom('lan');
    const master = await nodeMaster(lan.wsUrl(room));
    const tasks = randomTasks(20_000);
    for (const n of tasks) await master.taskQueue.put(n);

    const worker = await tab(workerUrl(lan.url, room, AUTHKEY));
    expect(worker.page.url()).toMatch(new RegExp(`^http://${lanAddress.replace(/\./g, '\\.')}:`));
    const results = await collect(master, tasks.length);
    expect(results.sort()).toEqual(expectedResults(tasks));
    const h = await waitForHook<WorkerPageHook>(worker, 'all results counted', (x) => x.done === tasks.length);
    expect(h.secureContext).toBe(false);
    expect(h.hasSubtleCrypto).toBe(false);
    expect(master.manager.workers().map((w) => w.agent)).toEqual(['browser']);
    await screenshot(worker.page, 'worker-page-lan-origin');

    metrics.lanOriginTab = {
      tasks: tasks.length,
      pageLoadToAuthenticatedMs: Math.round(h.authenticatedAtMs ?? -1),
      pageLoadToFirstResultMs: Math.round(h.firstResultAtMs ?? -1),
      tasksPerSecondOneTab: Math.round((tasks.length * 1000) / ((h.lastResultAtMs ?? 0) - (h.firstResultAtMs ?? 0))),
    };
  });
});

async function startMasterPage(room: string, tasks: number): Promise<Tab> {
  const master = await tab(`${signaling.url}/master?room=${encodeURIComponent(room)}&tasks=${tasks}`);
  await master.page.getByTestId('authkey').fill(AUTHKEY);
  expect(await master.page.getByTestId('tasks').inputValue()).toBe(String(tasks));
  await master.page.getByTestId('start').click();
  return master;
}

function checkCompletedRun(h: MasterPageHook, tasks: number): void {
  expect(h.error).toBeNull();
  expect(h.tasks).toHaveLength(tasks);
  expect([...h.results].sort()).toEqual(expectedResults(h.tasks as number[]));
  expect(h.summary?.tasks).toBe(tasks);
  expect(h.summary?.verified).toBe(tasks);
  expect(h.summary?.duplicates).toBe(0);
  expect(h.summary?.workers.reduce((sum, w) => sum + w.results, 0)).toBe(tasks);
}

describe('master page', () => {
  it('is served by 2 Node workers and 1 browser tab side by side', async () => {
    const room = freshRoom('mixed');
    const address = signaling.wsUrl(room);
    const tasks = 150_000;
    // Workers first, waiting for the master (as volunteers who opened the link early would).
    const workerTab = await tab(workerUrl(signaling.url, room, AUTHKEY));
    await waitForHook<WorkerPageHook>(workerTab, 'the tab to wait for a master', (h) => h.state === 'waiting');
    const nodes = [cliWorker(address), cliWorker(address)];
    const master = await startMasterPage(room, tasks);

    const h = await waitForHook<MasterPageHook>(master, 'the run to complete', (x) => x.state === 'done', 60_000);
    checkCompletedRun(h, tasks);
    // `peerproc worker` exits 0 once the queue stays empty for a second, after saying so.
    for (const w of nodes) {
      expect(await within(w.exited, 15_000, 'the Node worker to exit'), w.output()).toBe(0);
      expect(w.output()).toContain('worker exit.');
    }
    const tabDone = (await workerHook(workerTab.page)).done;
    expect(nodes.reduce((sum, w) => sum + w.tasks(), 0) + tabDone).toBe(tasks);
    const agents = new Set(h.workers.map((w) => w.agent));
    expect(agents.has('browser')).toBe(true);
    expect([...agents].some((a) => a !== 'browser')).toBe(true);

    await expect.poll(() => master.page.getByTestId('summary').isVisible(), { timeout: 5_000 }).toBe(true);
    expect(await master.page.getByTestId('summary-check').textContent()).toContain('results check out');
    expect(await master.page.getByTestId('state-label').textContent()).toBe('Run complete');
    await screenshot(master.page, 'master-page-mixed', 'master-page.png');
    metrics.mixedRun = {
      tasks,
      durationMs: Math.round(h.summary?.durationMs ?? -1),
      tasksPerSecond: Math.round(h.summary?.tasksPerSecond ?? -1),
      shares: h.summary?.workers.map((w) => ({ agent: w.agent, results: w.results })),
    };
  });

  it('runs with browser workers only (no Node peer in the data path)', async () => {
    const room = freshRoom('browsers');
    const tasks = 10_000;
    const workers = [
      await tab(workerUrl(signaling.url, room, AUTHKEY)),
      await tab(workerUrl(signaling.url, room, AUTHKEY)),
    ];
    const master = await startMasterPage(room, tasks);
    await Promise.all(workers.map((w) => waitForHook(w, 'the tab to authenticate', isWorking)));

    const h = await waitForHook<MasterPageHook>(master, 'the run to complete', (x) => x.state === 'done', 60_000);
    checkCompletedRun(h, tasks);
    expect(h.workers.map((w) => w.agent)).toEqual(['browser', 'browser']);
    const done = await Promise.all(
      workers.map((w) => waitForHook<WorkerPageHook>(w, 'results counted', (x) => x.lastResults.length > 0)),
    );
    expect(done.reduce((sum, x) => sum + x.done, 0)).toBe(tasks);

    await screenshot(master.page, 'master-page-browsers-only');

    // The master stops: the tabs notice, wait, and come back by themselves when a master is on the room again.
    await master.page.getByTestId('stop').click();
    for (const w of workers) {
      const gone = await waitForHook<WorkerPageHook>(w, 'the tab to notice', (x) => x.state === 'master-gone', 15_000);
      expect(gone.reason).toMatch(/shut down/);
    }
    await screenshot(workers[0].page, 'worker-page-master-gone');
    await master.page.getByTestId('tasks').fill('500');
    await master.page.getByTestId('start').click();
    const again = await waitForHook<MasterPageHook>(master, 'the second run', (x) => x.state === 'done', 60_000);
    checkCompletedRun(again, 500);
    const after = await Promise.all(
      workers.map((w) => waitForHook<WorkerPageHook>(w, 'the tab to reconnect', (x) => x.sessions === 2)),
    );
    const doneInAll = async () =>
      (await Promise.all(workers.map((w) => workerHook(w.page)))).reduce((n, x) => n + x.done, 0);
    await expect.poll(doneInAll, { timeout: 10_000 }).toBe(tasks + 500);
    expect(after.every((x) => x.state === 'working')).toBe(true);
    metrics.browserOnlyRun = {
      tasks,
      tasksPerSecond: Math.round(h.summary?.tasksPerSecond ?? -1),
      perTab: done.map((x) => x.done),
    };
  });

  it('resumes a run after the page reloads mid-run: the downloaded results hold each task once', async () => {
    const room = freshRoom('reload');
    const address = signaling.wsUrl(room);
    const tasks = 100_000;
    const nodes = [cliWorker(address), cliWorker(address)];
    const master = await startMasterPage(room, tasks);
    // (Polled without the result arrays: the workers' counts tell the progress.)
    const received = (x: MasterPageHook) => x.workers.reduce((sum, w) => sum + w.results, 0);
    await waitForHook<MasterPageHook>(master, 'some results', (x) => received(x) >= 10_000, 60_000);
    // A reload mid-run: the page goes as a crash would; the Node workers wait for it to come back.
    await master.page.reload({ waitUntil: 'load' });
    const offered = await waitForHook<MasterPageHook>(master, 'the offer to resume', (x) => x.resumable !== null);
    expect(offered.resumable?.room).toBe(room);
    expect(offered.resumable?.tasks).toBe(tasks);
    expect(offered.resumable?.answered).toBeGreaterThan(0);
    expect(offered.resumable?.answered).toBeLessThan(tasks);
    await master.page.getByTestId('authkey').fill(AUTHKEY);
    await master.page.getByTestId('resume-run').click();
    const h = await waitForHook<MasterPageHook>(
      master,
      'the resumed run to complete',
      (x) => x.state === 'done',
      90_000,
    );
    expect(h.error).toBeNull();
    expect(h.tasks).toHaveLength(tasks);
    expect([...h.results].sort()).toEqual(expectedResults(h.tasks as number[]));

    const download = master.page.waitForEvent('download');
    await master.page.getByTestId('download-json').click();
    const file = await (await download).path();
    const saved = JSON.parse(await readFile(file, 'utf8')) as { tasks: number[]; results: { result: string }[] };
    expect(saved.tasks).toEqual(h.tasks);
    expect(saved.results.map((r) => r.result).sort()).toEqual(expectedResults(saved.tasks));
    // A finished run is no longer offered.
    await master.page.reload({ waitUntil: 'load' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await masterHook(master.page)).resumable).toBeNull();
    for (const w of nodes) expect(await within(w.exited, 15_000, 'the Node worker to exit'), w.output()).toBe(0);
    metrics.reloadedRun = { tasks, answeredBeforeReload: offered.resumable?.answered };
  });
});
