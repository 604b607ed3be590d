/**
 * Real headless Chromium for the browser tests, driven by playwright-core.
 *
 * The binary comes from PEERPROC_CHROMIUM or Debian's /usr/bin/chromium
 * (`apt-get install chromium`); Playwright's own download does not work
 * offline. A missing browser fails the suite with a message saying how to
 * point it at one: the browser tests are never skipped.
 */
import { accessSync, constants } from 'node:fs';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, chromiumBinary } from '../../../bench/lib/chromium.js';

export function chromiumPath(): string {
  const path = chromiumBinary();
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `No Chromium at ${path}. The browser tests need a Chrome or Chromium binary: ` +
        'set PEERPROC_CHROMIUM=/path/to/chrome, or on Debian run `apt-get install -y chromium` ' +
        '(npm test does this itself when run as root on Debian).',
    );
  }
  return path;
}

/** Browser tests open peer connections: they must run inside scripts/netns.sh. */
export function assertInNetns(): void {
  if (process.env.PEERPROC_IN_NETNS !== '1') {
    throw new Error(
      'The browser tests open WebRTC connections and must run inside the private network namespace: ' +
        'scripts/netns.sh npx vitest run test/browser',
    );
  }
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_FLAGS,
    timeout: 30_000,
  });
}

/** Viewport of the screenshots kept in docs/. */
export const VIEWPORT = { width: 1200, height: 900 };

/**
 * A fresh browser profile, like another person's browser. Camera and
 * microphone permission makes Chromium offer host ICE candidates for every
 * interface (without it, only the default-route one, and the namespace has none).
 */
export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ permissions: ['camera', 'microphone'], viewport: VIEWPORT, acceptDownloads: true });
}
