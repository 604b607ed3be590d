/**
 * Page load to first task in a real browser: headless Chromium (Debian's
 * /usr/bin/chromium through playwright-core) opens the worker page
 * (web/dist/worker.html, served by the signaling server) with the room and
 * the authkey in its URL; the Node master already has a task queued. The
 * clock starts at the page's navigation (its performance.timeOrigin) and
 * stops when the master hands the task out; the page's own time to its
 * first result is recorded too.
 */
import { accessSync, constants } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Child, withTimeout } from '../lib/children.js';
import { CHROMIUM_FLAGS, chromiumBinary } from '../lib/chromium.js';
import { type Context, endScenario, startMaster } from '../lib/context.js';
import type { Pages } from '../lib/pages.js';
import { cellOf, type Row, row } from '../lib/report.js';
import { summarize } from '../lib/stats.js';
import { cpythonConnectCell, type StartupResult } from './startup.js';

export const PAGE_TO_FIRST_TASK_TARGET_MS = 500;
/** The target for one tab doing the seed's trivial tasks with a Node master. */
export const TAB_TASKS_PER_S_TARGET = 100_000;

export interface BrowserSample {
  /** Navigation start to the master handing the first task out, ms. */
  firstTaskMs: number;
  /** The page's own figures (ms from its time origin). */
  authenticatedAtMs: number | null;
  firstResultAtMs: number | null;
}

export type BrowserResult =
  | { skipped: string }
  | {
      chromium: string;
      pages: string;
      samples: BrowserSample[];
      /** One tab's seed rate, tasks/s, one figure per repeat (first task handed out to last result in). */
      tabTasksPerS: number[];
    };

function chromiumPath(): string | undefined {
  const path = chromiumBinary();
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

interface PageHook {
  state: string;
  reason: string | null;
  authenticatedAtMs: number | null;
  firstResultAtMs: number | null;
}

function readHook(page: Page): Promise<PageHook | null> {
  return page.evaluate(() => (globalThis as unknown as { __peerproc?: PageHook }).__peerproc ?? null);
}

/** Rejects as soon as the page reports a failed or lost connection (instead of waiting for a timeout). */
async function pageFailure(page: Page): Promise<never> {
  for (;;) {
    // A closed page has nothing more to report (and the race it was in is over).
    if (page.isClosed()) return new Promise<never>(() => {});
    const hook = await readHook(page).catch(() => null);
    if (hook && ['master-gone', 'auth-failed', 'error'].includes(hook.state)) {
      throw new Error(`the worker page reports '${hook.state}': ${hook.reason ?? 'no reason given'}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A master in a fresh room with `tasks` tasks queued, and a fresh browser
 * context for the tab(s) that will serve it; both are closed after `run`.
 */
async function withPrimedMaster<T>(
  ctx: Context,
  browser: Browser,
  { prefix, tasks }: { prefix: string; tasks: number },
  run: (master: Child, context: BrowserContext, room: string) => Promise<T>,
): Promise<T> {
  const room = ctx.room(prefix);
  const master = startMaster(ctx, { address: ctx.signaling.wsUrl(room), binding: 'node-datachannel' });
  // Camera/microphone permission makes Chromium offer host candidates on every interface.
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  try {
    await master.request('start', null, 30_000);
    await master.request('prime', { tasks }, 120_000);
    return await run(master, context, room);
  } finally {
    await context.close().catch(() => {});
    await endScenario(master, []);
  }
}

/** A tab of `context` on the worker page of `room`, loaded. */
async function openWorkerPage(ctx: Context, context: BrowserContext, room: string): Promise<Page> {
  const page = await context.newPage();
  const url = `${ctx.signaling.url}/worker?room=${encodeURIComponent(room)}#authkey=${encodeURIComponent(ctx.authkey)}`;
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  return page;
}

async function oneLoad(ctx: Context, browser: Browser, index: number): Promise<BrowserSample> {
  return withPrimedMaster(ctx, browser, { prefix: 'browser', tasks: 1 }, async (master, context, room) => {
    const handout = master.request<{ at: number }>('watchHandout', { below: 1, timeoutMs: 30_000 }, 35_000);
    const result = master.request<{ checked: number }>('drainResults', { count: 1, timeoutS: 30 }, 35_000);
    // Awaited below; a failure before then must not surface as an unhandled rejection.
    handout.catch(() => {});
    result.catch(() => {});
    const page = await openWorkerPage(ctx, context, room);
    const { at } = await Promise.race([handout, pageFailure(page)]);
    if ((await result).checked !== 1) throw new Error('the page returned a wrong result');
    const timeOrigin = await page.evaluate(() => performance.timeOrigin);
    // The page's hook refreshes every 250 ms; wait for its first-result time.
    const hook = await withTimeout(
      (async () => {
        for (;;) {
          const h = await readHook(page);
          if (h?.firstResultAtMs != null) return h;
          await new Promise((r) => setTimeout(r, 50));
        }
      })(),
      10_000,
      () => 'the worker page never reported its first result',
    ).catch(() => null);
    const sample: BrowserSample = {
      firstTaskMs: at - timeOrigin,
      authenticatedAtMs: hook?.authenticatedAtMs ?? null,
      firstResultAtMs: hook?.firstResultAtMs ?? null,
    };
    ctx.progress(
      `  page load #${index}: first task ${sample.firstTaskMs.toFixed(0)} ms` +
        (sample.firstResultAtMs !== null ? `, first result on the page ${sample.firstResultAtMs.toFixed(0)} ms` : ''),
    );
    return sample;
  });
}

/**
 * One tab's rate on the seed's trivial tasks: the Node master queues
 * `tabTasks` tasks, the worker page takes them all; timed in the master from
 * the first task handed out to the last result in, every result checked.
 */
async function oneTabRun(ctx: Context, browser: Browser, index: number): Promise<number> {
  const tasks = ctx.options.tabTasks;
  return withPrimedMaster(ctx, browser, { prefix: 'browser-rate', tasks }, async (master, context, room) => {
    const handout = master.request<{ at: number }>('watchHandout', { below: tasks, timeoutMs: 30_000 }, 35_000);
    const drained = master.request<{ checked: number; bad: number; at: number }>(
      'drainResults',
      { count: tasks, timeoutS: 60 },
      600_000,
    );
    handout.catch(() => {});
    drained.catch(() => {});
    const page = await openWorkerPage(ctx, context, room);
    const { at: first } = await Promise.race([handout, pageFailure(page)]);
    const done = await Promise.race([drained, pageFailure(page)]);
    if (done.checked !== tasks || done.bad > 0) {
      throw new Error(`the tab returned ${done.checked} results for ${tasks} tasks, ${done.bad} of them wrong`);
    }
    const rate = (tasks * 1000) / (done.at - first);
    ctx.progress(`  one tab #${index}: ${tasks} tasks at ${rate.toFixed(0)} tasks/s`);
    return rate;
  });
}

export async function runBrowser(ctx: Context, pages: Pages): Promise<BrowserResult> {
  if ('skipped' in pages) return { skipped: pages.skipped };
  const chromium = chromiumPath();
  if (!chromium) return { skipped: 'n/a (no Chromium: set PEERPROC_CHROMIUM)' };
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch {
    return { skipped: 'n/a (playwright-core not installed)' };
  }
  const browser = await playwright.chromium.launch({
    executablePath: chromium,
    headless: true,
    args: CHROMIUM_FLAGS,
    timeout: 30_000,
  });
  const samples: BrowserSample[] = [];
  const tabTasksPerS: number[] = [];
  try {
    for (let i = 1; i <= ctx.options.browserSamples; i++) {
      const sample = await ctx.attempt(`browser page load #${i}`, () => oneLoad(ctx, browser, i));
      if (sample) samples.push(sample);
    }
    for (let i = 1; i <= ctx.options.repeat; i++) {
      const rate = await ctx.attempt(`one tab's seed rate #${i}`, () => oneTabRun(ctx, browser, i));
      if (rate !== undefined) tabTasksPerS.push(rate);
    }
  } finally {
    await browser.close().catch(() => {});
  }
  return { chromium, pages: pages.origin, samples, tabTasksPerS };
}

export function browserRows(
  ctx: Context,
  result: BrowserResult | undefined,
  startup: StartupResult | undefined,
): Row[] {
  const missing = !result ? 'not run' : 'skipped' in result ? result.skipped : 'failed';
  const samples = result && 'samples' in result ? result.samples : [];
  return [
    row({
      id: 'browser_page_to_first_task_ms',
      measure: 'browser: page load → first task (CPython: connect)',
      unit: 'ms',
      peerproc: cellOf(summarize(samples.map((s) => s.firstTaskMs)), missing),
      cpython: cpythonConnectCell(ctx, startup),
      noRatio: true,
      target: { text: `≤ ${PAGE_TO_FIRST_TASK_TARGET_MS} ms`, check: (ms) => ms <= PAGE_TO_FIRST_TASK_TARGET_MS },
    }),
    row({
      id: 'browser_tab_tasks_per_s',
      measure: `browser: one tab, seed tasks with a Node master (N = ${ctx.options.tabTasks.toLocaleString('en-US')})`,
      unit: 'tasks/s',
      peerproc: cellOf(summarize(result && 'tabTasksPerS' in result ? result.tabTasksPerS : []), missing),
      target: {
        text: `≥ ${TAB_TASKS_PER_S_TARGET.toLocaleString('en-US')} tasks/s`,
        check: (rate) => rate >= TAB_TASKS_PER_S_TARGET,
      },
    }),
  ];
}
