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
import { chromium, type Page } from 'playwright-core';
import { startThreadPool } from '../node/jobs/thread-pool.js';
import { bundleJob, closeJobPools, registerJobWorker, workJob } from '../node/jobs/work-job.js';
import { BaseManager } from '../node/manager.js';
import { JobMaster } from '../shared/jobs/job-master.js';
import { silentLogger } from '../shared/logger.js';
import { startSignalingServer } from '../signaling/index.js';
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

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { samples: { type: 'string' } } });
  const samples = Number(values.samples ?? 5);
  const figures: Record<string, unknown> = { date: new Date().toISOString(), cores: availableParallelism() };

  // Bundle sizes.
  const sizes: Record<string, number> = {};
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.mjs'))) {
    sizes[file] = Buffer.byteLength((await bundleJob(join(EXAMPLES, file))).source);
  }
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
  const primes = await bundleJob(join(EXAMPLES, 'primes.mjs'));
  let room = 0;
  const sleeper = await bundleJob(resolve(ROOT, 'bench/jobs/sleep.mjs'));
  const startMaster = async (job = primes) => {
    const address = signaling.wsUrl(`bench-jobs-${process.pid}-${room++}`);
    const manager = new BaseManager({ address, authkey: AUTHKEY, logger: silentLogger });
    const master = new JobMaster(manager, job);
    await manager.start();
    return { address, manager, master };
  };
  const openWorker = async (address: string, threads?: number) => {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const page = await context.newPage();
    const room = new URL(address).pathname.slice(1);
    const url = `${signaling.url}/worker?room=${encodeURIComponent(room)}${threads ? `&threads=${threads}` : ''}#authkey=${AUTHKEY}`;
    await page.goto(url);
    return { context, page };
  };

  try {
    // Page load to first task of a custom job.
    const firstTask: Array<{ authenticatedMs: number; jobReadyMs: number; firstResultMs: number }> = [];
    for (let i = 0; i < samples; i++) {
      const { address, manager, master } = await startMaster();
      const run = master.run(
        Array.from({ length: 200 }, () => 1000),
        { onRecord: () => {}, timeout: 60 },
      );
      const tab = await openWorker(address);
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
    figures.pageLoadToFirstTask = {
      samples: firstTask,
      medianAuthenticatedMs: median(firstTask.map((s) => s.authenticatedMs)),
      medianJobReadyMs: median(firstTask.map((s) => s.jobReadyMs)),
      medianFirstResultMs: median(firstTask.map((s) => s.firstResultMs)),
    };
    log(`page load to first task: ${JSON.stringify(figures.pageLoadToFirstTask)}`);

    // Per-tab rate, 1 and N Web Workers.
    const heavy = Array.from({ length: HEAVY_TASKS }, () => HEAVY_LIMIT);
    const waits = Array.from({ length: 40 }, () => 100);
    const workloads = [
      ['primes', primes, heavy],
      ['sleep', sleeper, waits],
    ] as const;
    const tabRates: Record<string, number> = {};
    const probe = await openWorker(signaling.wsUrl('bench-jobs-probe'));
    const cores = await probe.page.evaluate(
      () => (globalThis as unknown as { navigator: { hardwareConcurrency: number } }).navigator.hardwareConcurrency,
    );
    await probe.context.close();
    for (const [label, job, tasks] of workloads) {
      for (const threads of [...new Set([1, Math.min(cores, 16), ...(label === 'sleep' ? [8] : [])])]) {
        const { address, manager, master } = await startMaster(job);
        const tab = await openWorker(address, threads);
        await until(tab.page, 'the job loaded', (h) => h.job !== null);
        const started = performance.now();
        await master.run(tasks, { onRecord: () => {}, timeout: 60 });
        tabRates[`${label}WebWorkers${threads}`] = Number(
          ((tasks.length * 1000) / (performance.now() - started)).toFixed(1),
        );
        await tab.context.close();
        await manager.shutdown();
      }
    }
    figures.tabTasksPerSecond = {
      navigatorHardwareConcurrency: cores,
      taskLimit: HEAVY_LIMIT,
      tasks: HEAVY_TASKS,
      ...tabRates,
    };
    log(`per-tab rate: ${JSON.stringify(figures.tabTasksPerSecond)}`);

    // Per Node worker, 1 and N threads.
    const nodeRates: Record<string, number> = {};
    for (const [label, job, tasks] of workloads) {
      for (const threads of [...new Set([1, availableParallelism(), ...(label === 'sleep' ? [8] : [])])]) {
        const { address, manager, master } = await startMaster(job);
        const worker = new BaseManager({ address, authkey: AUTHKEY, logger: silentLogger });
        registerJobWorker(worker);
        await worker.connect();
        let ready!: () => void;
        const loaded = new Promise<void>((r) => (ready = r));
        const working = workJob(worker, { job, threads, onStart: () => ready() });
        await loaded;
        const started = performance.now();
        await master.run(tasks, { onRecord: () => {}, timeout: 60 });
        nodeRates[`${label}Threads${threads}`] = Number(
          ((tasks.length * 1000) / (performance.now() - started)).toFixed(1),
        );
        await working;
        await worker.shutdown();
        await manager.shutdown();
        await closeJobPools();
      }
    }
    // The thread pool alone, without the network: what the threads give when nothing else is in the way.
    for (const threads of [...new Set([1, availableParallelism()])]) {
      const pool = await startThreadPool(primes.source, threads, null);
      const started = performance.now();
      await Promise.all(heavy.map((task) => pool.run(task)));
      nodeRates[`poolOnlyThreads${threads}`] = Number(
        ((heavy.length * 1000) / (performance.now() - started)).toFixed(1),
      );
      pool.close();
    }
    figures.nodeWorkerTasksPerSecond = { taskLimit: HEAVY_LIMIT, tasks: HEAVY_TASKS, ...nodeRates };
    log(`per Node worker: ${JSON.stringify(figures.nodeWorkerTasksPerSecond)}`);
  } finally {
    await browser.close();
    await signaling.close();
    await pages.cleanup();
  }

  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, 'jobs.json'), `${JSON.stringify(figures, null, 2)}\n`);
  const first = figures.pageLoadToFirstTask as Record<string, number>;
  const tab = figures.tabTasksPerSecond as Record<string, number>;
  const node = figures.nodeWorkerTasksPerSecond as Record<string, number>;
  const lines = [
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
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
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
