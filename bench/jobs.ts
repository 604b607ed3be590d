/**
 * `npm run bench:jobs`: the figures of the job feature, on this machine,
 * inside the private network namespace:
 *
 *   bash scripts/netns.sh node dist/bench/jobs.js [--samples N]
 *
 * - the bundle size of each example job (examples/jobs/*.mjs);
 * - page load to the first task of a custom job: a fresh tab opens the
 *   worker page of a room whose master serves the primes example, tasks
 *   queued; the page's own clock (performance time origin = navigation start)
 *   marks the job sandbox ready and the first result returned;
 * - per-tab rate on the CPU-heavy primes example with 1 and with N Web
 *   Workers (N = the tab's navigator.hardwareConcurrency), and per Node
 *   worker with 1 and N threads: tasks / the run's duration, from the
 *   master's first put to its last result, with the worker already connected;
 * - the same with a job that only waits 100 ms a task (bench/jobs/sleep.mjs):
 *   the pools' concurrency, apart from how many cores are free (on a loaded
 *   machine CPU-bound rates cannot scale).
 *
 * Prints a Markdown table and writes bench/results/jobs.json.
 */
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startThreadPool } from '../node/jobs/thread-pool.js';
import { bundleJob, closeJobPools, registerJobWorker, workJob } from '../node/jobs/work-job.js';
import { BaseManager } from '../node/manager.js';
import { JobMaster } from '../shared/jobs/job-master.js';
import { silentLogger } from '../shared/logger.js';
import { type SignalingServer, startSignalingServer } from '../signaling/index.js';
import { CHROMIUM_FLAGS, chromiumBinary } from './lib/chromium.js';
import { preparePages } from './lib/pages.js';
import { RESULTS_DIR, ROOT } from './lib/paths.js';
import { median } from './lib/stats.js';

const EXAMPLES = resolve(ROOT, 'examples/jobs');
const AUTHKEY = 'bench-jobs';
/** Primes below 150,000 by trial division: about 20 ms a task here. */
const HEAVY_LIMIT = 150_000;
const HEAVY_TASKS = 80;

interface Hook {
  state: string;
  reason: string | null;
  job: { threads: number } | null;
  jobReadyAtMs: number | null;
  authenticatedAtMs: number | null;
  firstResultAtMs: number | null;
  done: number;
}

const log = (m: string) => process.stderr.write(`${m}\n`);
const hookOf = (page: Page) => page.evaluate(() => (globalThis as unknown as { __peerproc: Hook }).__peerproc);

async function until(page: Page, what: string, ready: (h: Hook) => boolean, ms = 60_000): Promise<Hook> {
  const deadline = Date.now() + ms;
  for (;;) {
    const h = await hookOf(page);
    if (ready(h)) return h;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A bundled job, as a master serves it and a worker runs it. */
type Job = Awaited<ReturnType<typeof bundleJob>>;
/** A job, the tasks it is timed on, and the label its figures are keyed by. */
type Workload = readonly [label: 'primes' | 'sleep', job: Job, tasks: readonly number[]];

/** What the measurements share: the signaling server (which also serves the worker page) and the browser. */
interface Lab {
  readonly signaling: SignalingServer;
  readonly browser: Browser;
  /** Rooms taken so far: every master gets a fresh one. */
  rooms: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { samples: { type: 'string' } } });
  const samples = Number(values.samples ?? 5);
  const figures: Record<string, unknown> = { date: new Date().toISOString(), cores: availableParallelism() };
  const sizes = await bundleSizes();
  figures.bundleBytes = sizes;
  log(`bundle sizes: ${JSON.stringify(sizes)}`);

  const pages = await preparePages(log);
  if ('skipped' in pages) throw new Error(`no worker page: ${pages.skipped}`);
  const signaling = await startSignalingServer({
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    staticDir: pages.dir,
  });
  const browser = await chromium.launch({ executablePath: chromiumBinary(), args: CHROMIUM_FLAGS });
  const lab: Lab = { signaling, browser, rooms: 0 };
  const primes = await bundleJob(join(EXAMPLES, 'primes.mjs'));
  const sleeper = await bundleJob(resolve(ROOT, 'bench/jobs/sleep.mjs'));
  try {
    figures.pageLoadToFirstTask = await pageLoadToFirstTask(lab, primes, samples);
    log(`page load to first task: ${JSON.stringify(figures.pageLoadToFirstTask)}`);

    const heavy = Array.from({ length: HEAVY_TASKS }, () => HEAVY_LIMIT);
    const waits = Array.from({ length: 40 }, () => 100);
    const workloads: Workload[] = [
      ['primes', primes, heavy],
      ['sleep', sleeper, waits],
    ];
    figures.tabTasksPerSecond = await tabRates(lab, workloads);
    log(`per-tab rate: ${JSON.stringify(figures.tabTasksPerSecond)}`);

    const nodeRates = { ...(await nodeWorkerRates(lab, workloads)), ...(await poolOnlyRates(primes, heavy)) };
    figures.nodeWorkerTasksPerSecond = { taskLimit: HEAVY_LIMIT, tasks: HEAVY_TASKS, ...nodeRates };
    log(`per Node worker: ${JSON.stringify(figures.nodeWorkerTasksPerSecond)}`);
  } finally {
    await browser.close();
    await signaling.close();
    await pages.cleanup();
  }

  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, 'jobs.json'), `${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(`${markdownTable(figures, samples)}\n`);
}

/** The bundle size of each example job, bytes. */
async function bundleSizes(): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.mjs'))) {
    sizes[file] = Buffer.byteLength((await bundleJob(join(EXAMPLES, file))).source);
  }
  return sizes;
}

/** A master serving `job` in a fresh room of the lab's signaling server. */
async function startMaster(lab: Lab, job: Job) {
  const address = lab.signaling.wsUrl(`bench-jobs-${process.pid}-${lab.rooms++}`);
  const manager = new BaseManager({ address, authkey: AUTHKEY, logger: silentLogger });
  const master = new JobMaster(manager, job);
  await manager.start();
  return { address, manager, master };
}

/** A fresh browser context whose one tab loads the worker page of `address`'s room. */
async function openWorker(lab: Lab, address: string, threads?: number) {
  const context = await lab.browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  const room = new URL(address).pathname.slice(1);
  const url = `${lab.signaling.url}/worker?room=${encodeURIComponent(room)}${threads ? `&threads=${threads}` : ''}#authkey=${AUTHKEY}`;
  await page.goto(url);
  return { context, page };
}

/** Page load to first task of a custom job: `samples` fresh tabs, each on a master with tasks already queued. */
async function pageLoadToFirstTask(lab: Lab, primes: Job, samples: number) {
  const firstTask: Array<{ authenticatedMs: number; jobReadyMs: number; firstResultMs: number }> = [];
  for (let i = 0; i < samples; i++) {
    const { address, manager, master } = await startMaster(lab, primes);
    const run = master.run(
      Array.from({ length: 200 }, () => 1000),
      { onRecord: () => {}, timeout: 60 },
    );
    const tab = await openWorker(lab, address);
    const h = await until(tab.page, 'a first result', (x) => x.firstResultAtMs !== null);
    firstTask.push({
      authenticatedMs: Math.round(h.authenticatedAtMs ?? -1),
      jobReadyMs: Math.round(h.jobReadyAtMs ?? -1),
      firstResultMs: Math.round(h.firstResultAtMs ?? -1),
    });
    await run;
    await tab.context.close();
    await manager.shutdown();
  }
  return {
    samples: firstTask,
    medianAuthenticatedMs: median(firstTask.map((s) => s.authenticatedMs)),
    medianJobReadyMs: median(firstTask.map((s) => s.jobReadyMs)),
    medianFirstResultMs: median(firstTask.map((s) => s.firstResultMs)),
  };
}

/** Per-tab rate of each workload with 1 and N Web Workers (N = the tab's navigator.hardwareConcurrency). */
async function tabRates(lab: Lab, workloads: readonly Workload[]) {
  const rates: Record<string, number> = {};
  const probe = await openWorker(lab, lab.signaling.wsUrl('bench-jobs-probe'));
  const cores = await probe.page.evaluate(
    () => (globalThis as unknown as { navigator: { hardwareConcurrency: number } }).navigator.hardwareConcurrency,
  );
  await probe.context.close();
  for (const [label, job, tasks] of workloads) {
    for (const threads of threadCounts(label, Math.min(cores, 16))) {
      const { address, manager, master } = await startMaster(lab, job);
      const tab = await openWorker(lab, address, threads);
      await until(tab.page, 'the job loaded', (h) => h.job !== null);
      const started = performance.now();
      await master.run(tasks, { onRecord: () => {}, timeout: 60 });
      rates[`${label}WebWorkers${threads}`] = tasksPerSecond(tasks.length, started);
      await tab.context.close();
      await manager.shutdown();
    }
  }
  return { navigatorHardwareConcurrency: cores, taskLimit: HEAVY_LIMIT, tasks: HEAVY_TASKS, ...rates };
}

/** Per Node worker rate of each workload with 1 and N threads (N = available parallelism). */
async function nodeWorkerRates(lab: Lab, workloads: readonly Workload[]): Promise<Record<string, number>> {
  const rates: Record<string, number> = {};
  for (const [label, job, tasks] of workloads) {
    for (const threads of threadCounts(label, availableParallelism())) {
      const { address, manager, master } = await startMaster(lab, job);
      const worker = new BaseManager({ address, authkey: AUTHKEY, logger: silentLogger });
      registerJobWorker(worker);
      await worker.connect();
      let ready!: () => void;
      const loaded = new Promise<void>((r) => (ready = r));
      const working = workJob(worker, { job, threads, onStart: () => ready() });
      await loaded;
      const started = performance.now();
      await master.run(tasks, { onRecord: () => {}, timeout: 60 });
      rates[`${label}Threads${threads}`] = tasksPerSecond(tasks.length, started);
      await working;
      await worker.shutdown();
      await manager.shutdown();
      await closeJobPools();
    }
  }
  return rates;
}

/** The thread pool alone, without the network: what the threads give when nothing else is in the way. */
async function poolOnlyRates(primes: Job, heavy: readonly number[]): Promise<Record<string, number>> {
  const rates: Record<string, number> = {};
  for (const threads of [...new Set([1, availableParallelism()])]) {
    const pool = await startThreadPool(primes.source, threads, null);
    const started = performance.now();
    await Promise.all(heavy.map((task) => pool.run(task)));
    rates[`poolOnlyThreads${threads}`] = tasksPerSecond(heavy.length, started);
    pool.close();
  }
  return rates;
}

/** 1 and `most` threads, and 8 as well for the sleep job (its pool's concurrency, beyond the cores). */
function threadCounts(label: Workload[0], most: number): number[] {
  return [...new Set([1, most, ...(label === 'sleep' ? [8] : [])])];
}

/** `count` tasks over the time since `started`, to one decimal. */
function tasksPerSecond(count: number, started: number): number {
  return Number(((count * 1000) / (performance.now() - started)).toFixed(1));
}

/** The Markdown table printed at the end (without its last newline). */
function markdownTable(figures: Record<string, unknown>, samples: number): string {
  const sizes = figures.bundleBytes as Record<string, number>;
  const first = figures.pageLoadToFirstTask as Record<string, number>;
  const tab = figures.tabTasksPerSecond as Record<string, number>;
  const node = figures.nodeWorkerTasksPerSecond as Record<string, number>;
  return [
    '| measure | value |',
    '|---|---|',
    `| bundle size | ${Object.entries(sizes)
      .map(([f, b]) => `${f} ${b} B`)
      .join(', ')} |`,
    `| page load to job sandbox ready / first result of a custom job (median of ${samples}) | ${first.medianJobReadyMs} ms / ${first.medianFirstResultMs} ms |`,
    ...(['primes', 'sleep'] as const).flatMap((label) => [
      `| one tab, ${label === 'primes' ? `primes below ${HEAVY_LIMIT}` : '100 ms waits'}, by Web Workers (${entries(tab, `${label}WebWorkers`).keys}) | ${entries(tab, `${label}WebWorkers`).values} tasks/s |`,
      `| one Node worker, same tasks, by threads (${entries(node, `${label}Threads`).keys}) | ${entries(node, `${label}Threads`).values} tasks/s |`,
    ]),
    `| the thread pool alone, primes, by threads (${entries(node, 'poolOnlyThreads').keys}) | ${entries(node, 'poolOnlyThreads').values} tasks/s |`,
  ].join('\n');
}

function entries(figures: Record<string, number>, prefix: string): { keys: string; values: string } {
  const found = Object.entries(figures).filter(([k]) => k.startsWith(prefix));
  return { keys: found.map(([k]) => k.slice(prefix.length)).join(' / '), values: found.map(([, v]) => v).join(' / ') };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`bench:jobs failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
