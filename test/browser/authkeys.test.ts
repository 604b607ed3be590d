/**
 * Authkeys in real headless Chromium against real Node peers, inside the
 * private network namespace:
 *
 * - a squatter takes the master seat of a room where a worker page and a
 *   `peerproc worker` wait: both refuse it, and what it captured does not let
 *   it test keys offline (the first handshake version's proof would have);
 * - the master page and `peerproc master` without a key generate one, and the
 *   link and command they show bring workers in; a short key gets a warning.
 */
import { rm } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authkeyBytes, PROTOCOL_VERSION } from '../../shared/wire/auth.js';
import type { SignalingServer } from '../../signaling/index.js';
import type { MasterPageHook, WorkerPageHook } from '../../web/src/hooks.js';
import { legacyProofFound, legacyResponse } from '../support/legacy-hmac.js';
import { killAll, peerproc } from '../support/processes.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';
import { candidateMatches, type Squatter, startSquatter } from '../support/squatter.js';
import { buildPages } from './support/build.js';
import { assertInNetns, chromiumPath, launchChromium } from './support/chromium.js';
import { type CliWorker, spawnCliWorker, stopCliWorker } from './support/cli-workers.js';
import {
  closeTab,
  expectedResults,
  openTab,
  screenshot,
  type Tab,
  waitFor,
  waitForHook,
  workerUrl,
} from './support/pages.js';

/** The volunteers' real key: long enough not to draw the short-key warning, far from the squatter's guess. */
const REAL_KEY = 's3cret-volunteer-key';
const GUESS = 's3cret';

let staticDir: string;
let signaling: SignalingServer;
let browser: Browser;
const tabs: Tab[] = [];
const cliWorkers: CliWorker[] = [];
let squatter: Squatter | undefined;

async function tab(url: string): Promise<Tab> {
  const opened = await openTab(browser, url);
  tabs.push(opened);
  return opened;
}

beforeAll(async () => {
  assertInNetns();
  chromiumPath();
  staticDir = await buildPages();
  signaling = await startTestSignaling({ staticDir });
  browser = await launchChromium();
});

afterAll(async () => {
  squatter?.close();
  for (const t of tabs) await closeTab(t);
  await browser?.close().catch(() => {});
  await Promise.all(cliWorkers.map(stopCliWorker));
  killAll();
  await signaling?.close();
  if (staticDir) await rm(staticDir, { recursive: true, force: true });
});

describe('a squatter in the master seat', () => {
  it('is refused by a waiting worker page and a waiting peerproc worker, and can test no key offline', async () => {
    const room = freshRoom('squat');
    const address = signaling.wsUrl(room);
    // Volunteers wait on the room before any master is there, by design.
    const page = await tab(workerUrl(signaling.url, room, REAL_KEY));
    await waitForHook<WorkerPageHook>(page, 'the tab to wait for a master', (h) => h.state === 'waiting');
    const node = spawnCliWorker(address, REAL_KEY);
    cliWorkers.push(node);

    squatter = await startSquatter(address, GUESS);
    const refused = await waitForHook<WorkerPageHook>(
      page,
      'the tab to refuse the squatter',
      (h) => h.state === 'auth-failed',
    );
    expect(refused.done).toBe(0);
    expect(await node.exited, node.output()).toBe(1);
    expect(node.output()).toMatch(/AuthenticationError: digest sent was rejected/);
    // Every worker that got as far as its key share has sent its confirmation too (a peer connection
    // that failed to open, and was retried, leaves a capture without a share).
    const shared = () => squatter?.captures.filter((c) => c.workerShare) ?? [];
    await waitFor('both workers to confirm', () => shared().length >= 2 && shared().every((c) => c.workerTag));

    const captures = shared();
    expect(captures).toHaveLength(2);
    for (const capture of captures) {
      const { masterNonce, workerNonce, binding } = capture;
      // The worker sent its nonce, its share and its key confirmation: fixed sizes, nothing else.
      expect(capture.frames.map((f) => f.length)).toEqual([34, 33, 65]);
      const nonce = workerNonce as Uint8Array;
      // The old attack: the first version's proof for the real key would sit in the transcript...
      const oldTranscript = [legacyResponse(authkeyBytes(REAL_KEY), masterNonce, nonce, binding)];
      expect(legacyProofFound(oldTranscript, authkeyBytes(REAL_KEY), masterNonce, nonce, binding)).toBe(true);
      // ...and is nowhere in what the squatter captured now, for the real key or any other.
      for (const candidate of [REAL_KEY, GUESS, 'abc']) {
        expect(legacyProofFound(capture.frames, authkeyBytes(candidate), masterNonce, nonce, binding)).toBe(false);
        // Nor does the squatter's own CPace computation single out any candidate, the real key included.
        expect(candidateMatches(capture, candidate)).toBe(false);
      }
    }
    squatter.close();
    squatter = undefined;
    await screenshot(page.page, 'worker-page-refused-squatter');
  });
});

describe('a master of another protocol version', () => {
  it('makes a peerproc worker with default flags exit at once, naming both versions, instead of searching until --wait', async () => {
    const address = signaling.wsUrl(freshRoom('version'));
    const older = await startSquatter(address, GUESS, { version: PROTOCOL_VERSION - 1 });
    try {
      const node = spawnCliWorker(address, REAL_KEY);
      cliWorkers.push(node);
      expect(await node.exited, node.output()).toBe(1);
      expect(node.output()).toContain(
        `ProtocolError: master speaks protocol version ${PROTOCOL_VERSION - 1}, this peer speaks ${PROTOCOL_VERSION}`,
      );
      // Searching on would have ended in a ConnectTimeoutError after --wait (30 s), naming this only as its last error.
      expect(node.output()).not.toContain('ConnectTimeoutError');
    } finally {
      older.close();
    }
  });
});

describe('generated keys', () => {
  it('master page without a key generates one; its link and command bring in a tab and a peerproc worker', async () => {
    const room = freshRoom('genkey');
    const tasks = 3000;
    const master = await tab(`${signaling.url}/master?room=${encodeURIComponent(room)}&tasks=${tasks}`);
    expect(await master.page.getByTestId('authkey').inputValue()).toBe('');
    await master.page.getByTestId('start').click();
    await expect.poll(() => master.page.getByTestId('generated-key').isVisible(), { timeout: 10_000 }).toBe(true);
    const key = (await master.page.getByTestId('generated-authkey').textContent()) ?? '';
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    const command = (await master.page.getByTestId('worker-command').textContent()) ?? '';
    expect(command).toBe(`PEERPROC_AUTHKEY=${key} peerproc worker --address ${signaling.wsUrl(room)}`);
    expect(await master.page.getByTestId('key-warning').isVisible()).toBe(false);
    await screenshot(master.page, 'master-page-generated-key');

    const [, envKey, address] = /^PEERPROC_AUTHKEY=(\S+) peerproc worker --address (\S+)$/.exec(command) ?? [];
    const node = spawnCliWorker(address as string, envKey as string);
    cliWorkers.push(node);
    const worker = await tab(workerUrl(signaling.url, room, key));
    await waitForHook<WorkerPageHook>(worker, 'the tab to authenticate', (h) => h.state === 'working');
    const h = await waitForHook<MasterPageHook>(master, 'the run to complete', (x) => x.state === 'done', 60_000);
    expect(h.error).toBeNull();
    expect([...h.results].sort()).toEqual(expectedResults(h.tasks as number[]));
    expect(h.summary?.verified).toBe(tasks);
    expect(await node.exited, node.output()).toBe(0);
  });

  it('master page warns about a short key typed in', async () => {
    const room = freshRoom('shortkey');
    const master = await tab(`${signaling.url}/master?room=${encodeURIComponent(room)}&tasks=10`);
    await master.page.getByTestId('authkey').fill('abc');
    await master.page.getByTestId('start').click();
    await expect.poll(() => master.page.getByTestId('key-warning').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await master.page.getByTestId('key-warning').textContent()).toMatch(
      /only 3 byte\(s\) long and can be guessed online/,
    );
    expect(await master.page.getByTestId('generated-key').isVisible()).toBe(false);
  });

  it('the worker link printed by `peerproc master` without a key opens a working worker page', async () => {
    const room = freshRoom('clilink');
    const master = peerproc(['master', '--address', signaling.wsUrl(room), '--tasks', '200', '--min-workers', '1'], {
      PEERPROC_AUTHKEY: '',
    });
    const [, link] = await master.line(/^ {2}worker page: +(\S+)$/, 'stderr');
    const worker = await tab(link as string);
    await waitForHook<WorkerPageHook>(worker, 'the tab to work', (h) => h.done === 200);
    expect(await master.exited, master.output()).toBe(0);
    expect(master.stdout.filter((l) => l.startsWith('Result: '))).toHaveLength(200);
  });
});
