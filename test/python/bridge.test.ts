/**
 * `peerproc bridge`: an unmodified CPython task_master.py served by WebRTC
 * workers through the bridge: two Node workers (the real CLI) and one worker
 * page in headless Chromium; one Node worker is SIGKILLed holding a task,
 * and nothing is lost. Runs inside scripts/netns.sh.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../../signaling/index.js';
import type { WorkerPageHook } from '../../web/src/hooks.js';
import { buildPages } from '../browser/support/build.js';
import { assertInNetns, chromiumPath, launchChromium } from '../browser/support/chromium.js';
import { closeTab, openTab, type Tab, waitForHook, workerHook, workerUrl } from '../browser/support/pages.js';
import { freshRoom, startTestSignaling } from '../support/signaling.js';
import { killAllCli, peerproc, tasksRun } from './cli-run.js';
import { FIXTURES, killAllPythons, type PythonExe, pythonExecutables, spawnPython } from './helpers.js';

const HOST = '127.0.0.1';
const AUTHKEY = 'abc';
const KEY = { PEERPROC_AUTHKEY: AUTHKEY };

let staticDir: string;
let signaling: SignalingServer;
let browser: Browser;
const tabs: Tab[] = [];

beforeAll(async () => {
  assertInNetns();
  chromiumPath(); // fails at once, naming PEERPROC_CHROMIUM, when there is no browser
  staticDir = await buildPages();
  signaling = await startTestSignaling({ staticDir });
  browser = await launchChromium();
});

afterEach(async () => {
  for (const tab of tabs.splice(0)) await closeTab(tab);
  killAllCli();
  killAllPythons();
});

afterAll(async () => {
  await browser?.close().catch(() => {});
  await signaling?.close();
  if (staticDir) await rm(staticDir, { recursive: true, force: true });
});

describe('peerproc bridge in front of CPython task_master.py', () => {
  const py = pythonExecutables().at(-1) as PythonExe;

  it(`(CPython ${py.version}) two Node workers and a browser tab serve it; a worker killed holding a task loses nothing`, async () => {
    const tasks = 20_000;
    const master = spawnPython(py, join(FIXTURES, 'task_master_n.py'), [HOST, '0', AUTHKEY, String(tasks), '30']);
    const [, port] = await master.line(/Master listening on 127\.0\.0\.1:(\d+)/);
    const room = freshRoom('bridge');
    const address = signaling.wsUrl(room);
    const bridge = peerproc(['bridge', '--python-master', `${HOST}:${port}`, '--address', address], KEY);
    await bridge.line(/^bridge: room /);

    // The doomed worker first: it takes one task and "works" on it for a minute.
    const doomed = peerproc(['worker', '--address', address, '--work', '60'], KEY);
    const [, held] = await doomed.line(/^run task (\d+) \* \d+\.\.\.$/);
    // Then the others; the run cannot finish while the doomed worker holds its task.
    const tab = await openTab(browser, workerUrl(signaling.url, room, AUTHKEY));
    tabs.push(tab);
    await waitForHook<WorkerPageHook>(tab, 'the tab to authenticate', (h) => h.state === 'working');
    const node = peerproc(['worker', '--address', address, '--work', '0.0005'], KEY);
    await node.line(/^run task /);
    doomed.child.kill('SIGKILL');

    expect(await master.exited, master.stderr()).toBe(0);
    const out = master.stdout();
    const put = [...out.matchAll(/Put task (\d+)\.\.\./g)].map((m) => Number(m[1]));
    const results = [...out.matchAll(/Result: (.*)/g)].map((m) => m[1]);
    expect(put).toHaveLength(tasks);
    expect(results.sort()).toEqual(put.map((n) => `${n} * ${n} = ${n * n}`).sort());
    expect(out).toMatch(/master exit\.\n$/);

    // The bridge follows the Python master out, and says what it did.
    expect(await bridge.exited, bridge.output()).toBe(0);
    expect(bridge.stdout).toContain(`bridge: the Python master at ${HOST}:${port} closed the connection.`);
    // What the killed worker held (its task, and any it had read ahead) came back; no result twice.
    const [, redelivered] = (bridge.stdout
      .join('\n')
      .match(
        new RegExp(
          `^bridge: ${tasks} task\\(s\\) from Python, ${tasks} result\\(s\\) returned, (\\d+) redelivered after a worker was lost, 0 duplicate result\\(s\\) dropped$`,
          'm',
        ),
      ) ?? []) as string[];
    expect(Number(redelivered), bridge.output()).toBeGreaterThanOrEqual(1);
    expect(bridge.stderr.join('\n')).toMatch(/worker [0-9a-f]+ left: /);
    expect(bridge.stdout.at(-1)).toBe('bridge exit.');
    expect(await node.exited, node.output()).toBe(0);
    // It leaves on an empty queue (while the killed worker's task waits to be redelivered) or when the room closes.
    expect(node.stdout.join('\n')).toMatch(/task queue is empty\.|master shut down/);
    expect(node.stdout.at(-1)).toBe('worker exit.');

    // Everyone worked, and the killed worker's task was done by someone else.
    const tab_ = await workerHook(tab.page);
    const byNode = tasksRun(node.stdout);
    expect(byNode.length).toBeGreaterThan(0);
    expect(tab_.done).toBeGreaterThan(0);
    expect(byNode.length + tab_.done).toBe(tasks);
    expect(results.filter((r) => r === `${held} * ${held} = ${Number(held) ** 2}`).length).toBe(
      put.filter((n) => n === Number(held)).length,
    );
    console.log(
      `bridge run: ${tasks} tasks, Node worker ${byNode.length}, browser tab ${tab_.done}, killed worker held task ${held}`,
    );
  });
});
