/** Opening the pages in tabs and reading their `window.__peerproc` hooks, with bounded waits. */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { squareText } from '../../../shared/example.js';
import type { MasterPageHook, PeerprocPageHook, WorkerPageHook } from '../../../web/src/hooks.js';
import { newContext } from './chromium.js';

export const ARTIFACTS_DIR = resolve(import.meta.dirname, '../../../test-artifacts/browser');
export const DOCS_DIR = resolve(import.meta.dirname, '../../../docs');

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Console errors and page crashes, for failure messages. */
  problems: string[];
}

export async function openTab(browser: Browser, url: string): Promise<Tab> {
  const context = await newContext(browser);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
  return { context, page, problems };
}

export async function closeTab(tab: Tab | undefined): Promise<void> {
  await tab?.context.close().catch(() => {});
}

export function workerUrl(base: string, room: string, authkey: string): string {
  return `${base}/worker?room=${encodeURIComponent(room)}#authkey=${encodeURIComponent(authkey)}`;
}

export async function hookOf<T extends PeerprocPageHook>(page: Page): Promise<T> {
  return page.evaluate(() => (globalThis as unknown as { __peerproc: PeerprocPageHook }).__peerproc) as Promise<T>;
}

/** The hook without the master page's task and result arrays (cheap to poll during a long run). */
async function lightHookOf<T extends PeerprocPageHook>(page: Page): Promise<T> {
  return page.evaluate(() => {
    const hook = (globalThis as unknown as { __peerproc: PeerprocPageHook }).__peerproc;
    return hook.page === 'master' ? { ...hook, tasks: [], results: [] } : hook;
  }) as Promise<T>;
}

export const workerHook = (page: Page) => hookOf<WorkerPageHook>(page);
export const masterHook = (page: Page) => hookOf<MasterPageHook>(page);

/**
 * Polls the page's hook until `ready` holds (judged without the master page's
 * task and result arrays), then returns the whole hook; fails after `timeoutMs` with the
 * last hook state and the page's problems, never hangs.
 */
export async function waitForHook<T extends PeerprocPageHook>(
  tab: Tab,
  what: string,
  ready: (hook: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await lightHookOf<T>(tab.page);
    if (ready(last)) return hookOf<T>(tab.page);
    await new Promise((r) => setTimeout(r, 100));
  }
  const summary = last ? JSON.stringify({ ...last, tasks: undefined, results: undefined }) : 'no hook';
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; page state: ${summary}; ${tab.problems.join('; ')}`,
  );
}

/** Polls a Node-side condition with a bound. */
export async function waitFor(what: string, ready: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Two refreshes of the pages' numbers (they redraw every 250 ms). */
const SETTLE_MS = 600;

/**
 * Saves a full-page screenshot under test-artifacts/browser/, and into docs/
 * too when PEERPROC_UPDATE_SCREENSHOTS=1 (how the committed ones are made).
 */
export async function screenshot(page: Page, name: string, docsName?: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  // No hover effects in the picture, and let the page's 250 ms refresh catch up with its state.
  await page.mouse.move(0, 0);
  await page.evaluate((ms) => new Promise((resolve) => setTimeout(resolve, ms)), SETTLE_MS);
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true, timeout: 10_000 });
  if (docsName && process.env.PEERPROC_UPDATE_SCREENSHOTS === '1') {
    await page.screenshot({ path: join(DOCS_DIR, docsName), fullPage: true, timeout: 10_000 });
  }
  return path;
}

export function expectedResults(tasks: readonly number[]): string[] {
  return tasks.map(squareText).sort();
}
