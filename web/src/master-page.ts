/**
 * The master page (`/master`): runs the distributed-process example's master
 * in the browser. The task and result queues live in this page; browser tabs
 * (`/worker`) and Node workers (`peerproc worker`) serve it side by side.
 *
 * Three parts: the controller holds the state (master-controller.ts), pure
 * renderers draw a snapshot of it (master-render.ts), and the rates are
 * sampled on their own timer (rate-sampler.ts). This file wires them to the
 * DOM: events, the refresh timer, the worker link, and the test hook.
 */
import './styles.css';
import { shortHash } from '../../shared/jobs/protocol.js';
import { generateAuthkey, type Logger, shortAuthkeyWarning, workerCommand } from '../lib/index.js';
import { addressOnThisServer, DEFAULT_ROOM, readPageParams, roomOf } from './address.js';
import { byTestId, el, publishHook, setText } from './dom.js';
import { downloadCsv, downloadJson, downloadJsonLines } from './downloads.js';
import { formatCount } from './format.js';
import type { MasterPageHook } from './hooks.js';
import { MAX_TASKS, MasterController, type MasterSnapshot } from './master-controller.js';
import {
  masterUi,
  renderControls,
  renderProgress,
  renderRate,
  renderResults,
  renderSummary,
  renderWorkers,
} from './master-render.js';
import type { Run } from './master-session.js';
import { RateSampler } from './rate-sampler.js';
import { RunStore, type StoredResult, type StoredRun } from './run-store.js';
import { ThroughputChart } from './throughput-chart.js';

/** Screen refresh period: numbers change at most this often, however fast results come. */
const RENDER_INTERVAL_MS = 250;

const hook = publishHook<MasterPageHook>({
  page: 'master',
  state: 'idle',
  error: null,
  address: null,
  tasks: [],
  results: [],
  workers: [],
  rejected: 0,
  job: null,
  summary: null,
  resumable: null,
});

/**
 * Publishes copies of the state on the test hook: tests read the hook, never
 * the controller's own objects. The run's arrays only grow, so each publish
 * copies only what is new (a million results are not copied four times a second).
 */
class HookPublisher {
  #run: Readonly<Run> | null = null;

  publish(snapshot: MasterSnapshot): void {
    hook.state = snapshot.state;
    hook.error = snapshot.error;
    hook.address = snapshot.address;
    hook.workers = snapshot.workers.map((row) => ({ ...row }));
    hook.rejected = snapshot.rejected;
    hook.summary = snapshot.summary ? structuredClone(snapshot.summary) : null;
    const run = snapshot.run;
    if (run !== this.#run) {
      this.#run = run;
      hook.tasks = [];
      hook.results = [];
    }
    if (!run) return;
    appendNew(hook.tasks as unknown[], run.tasks as readonly unknown[]);
    appendNew(hook.results, run.results);
  }
}

function appendNew<T>(copy: T[], source: readonly T[]): void {
  for (let i = copy.length; i < source.length; i++) copy.push(source[i]);
}

const ui = masterUi();
const logger: Logger = { info: (m) => console.debug(m), warn: (m) => console.warn(m), error: (m) => console.error(m) };
const publisher = new HookPublisher();
const page = {
  resultsDirty: false,
  renderedAt: 0,
};

const controller = new MasterController(logger, {
  changed: () => {
    showJob();
    const address = controller.snapshot().address;
    if (address !== null) setText(ui.workerLink, workerLinkFor(address, false));
    render();
  },
  runStarted: (run) => {
    sampler.start(run);
    page.resultsDirty = true;
  },
  resultArrived: () => {
    page.resultsDirty = true;
    // Under load, network events can starve the timers: sample and refresh from here when due.
    sampler.sampleIfDue();
    if (performance.now() - page.renderedAt >= RENDER_INTERVAL_MS) render();
  },
  runFinished: (run) => sampler.finish(run),
});
// Only a running run is sampled: a run cut short by an error or a stop draws no more points.
const sampler = new RateSampler(new ThroughputChart(ui.chart), () => {
  const { state, run, workers } = controller.snapshot();
  return { run: state === 'running' ? run : null, workers };
});

function render(): void {
  const now = performance.now();
  page.renderedAt = now;
  const snapshot = controller.snapshot();
  publisher.publish(snapshot);
  renderControls(ui, snapshot);
  renderRate(ui, snapshot, sampler.recentRate);
  renderProgress(ui, snapshot, now);
  renderWorkers(ui, snapshot);
  if (page.resultsDirty || snapshot.state !== 'running') {
    page.resultsDirty = false;
    renderResults(ui, snapshot);
  }
  renderSummary(ui, snapshot.summary);
}

function workerLinkFor(address: string, withKey: boolean): string {
  const name = location.pathname.endsWith('.html') ? 'worker.html' : 'worker';
  const url = new URL(name, location.href);
  const room = roomOf(address);
  if (address === addressOnThisServer(location, room)) {
    if (room !== DEFAULT_ROOM) url.searchParams.set('room', room);
  } else {
    url.searchParams.set('address', address);
  }
  url.hash = withKey ? `authkey=${encodeURIComponent(controller.authkey)}` : '';
  return url.toString();
}

async function copy(text: string, button: HTMLButtonElement): Promise<void> {
  const label = button.textContent ?? '';
  try {
    if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
    else {
      // Plain-http pages have no Clipboard API.
      const area = el('textarea', { style: 'position:fixed;opacity:0' }, text);
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy failed';
  }
  setTimeout(() => {
    button.textContent = label;
  }, 1500);
}

async function stopMaster(): Promise<void> {
  sampler.stop();
  keyUi.note.hidden = true;
  setText(keyUi.key, '');
  ui.stop.disabled = true;
  await controller.stop();
  ui.stop.disabled = false;
}

function exportData() {
  const { run, address, summary } = controller.snapshot();
  return {
    room: roomOf(address ?? ''),
    tasks: run?.tasks ?? [],
    results: run?.results ?? [],
    arrivals: run?.arrivals ?? [],
    summary,
  };
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const authkey = chosenAuthkey();
  const picked = pickedJob();
  const timeout = Number(ui.taskTimeout.value);
  const job = picked && { ...picked, taskTimeout: timeout > 0 ? timeout : null };
  void controller.startRun({ address: ui.address.value, authkey, tasks: ui.tasks.value, job });
});

/** Both files picked: a job run (jobs/job-master-session.ts) instead of the square demo. */
function pickedJob(): { module: File; tasks: File } | undefined {
  const module = ui.jobFile.files?.[0];
  const tasks = ui.tasksFile.files?.[0];
  return module && tasks ? { module, tasks } : undefined;
}

// With a job picked, the tasks come from its file: the demo's count does not apply.
for (const input of [ui.jobFile, ui.tasksFile]) {
  input.addEventListener('change', () => {
    ui.tasks.disabled = pickedJob() !== undefined;
  });
}
ui.downloadJsonl.addEventListener('click', () => {
  const session = controller.jobSession;
  if (session) downloadJsonLines(roomOf(controller.snapshot().address ?? ''), session.jsonLines());
});

/** Says which job the master serves (and on the hook, for tests). */
function showJob(): void {
  const session = controller.jobSession;
  const running = controller.state === 'running' || controller.state === 'done';
  hook.job = session && running ? { name: session.description.name, sha256: session.description.sha256 } : null;
  if (!session || !running) return;
  const { name, sha256, bytes } = session.description;
  const file = ui.tasksFile.files?.[0]?.name ?? 'the tasks file';
  setText(
    ui.jobNote,
    `Serving job “${name}” (sha256 ${shortHash(sha256)}, ${formatCount(bytes)} bytes) with ${formatCount(session.taskCount)} tasks from ${file}.`,
  );
}

const keyUi = {
  note: byTestId('generated-key'),
  key: byTestId('generated-authkey'),
  command: byTestId('worker-command'),
  warning: byTestId('key-warning'),
};

/**
 * Strong keys by default: with no key typed in, a random 128-bit one for
 * this run, shown once with the matching worker command; a short key typed
 * in gets a warning that it can be guessed online.
 */
function chosenAuthkey(): string {
  if (controller.state === 'running' || controller.state === 'done') return ui.authkey.value;
  const generated = ui.authkey.value === '';
  if (generated) ui.authkey.value = generateAuthkey();
  const authkey = ui.authkey.value;
  keyUi.note.hidden = !generated;
  setText(keyUi.key, generated ? authkey : '');
  setText(keyUi.command, generated ? workerCommand(ui.address.value.trim(), authkey) : '');
  const warning = generated ? undefined : shortAuthkeyWarning(authkey);
  keyUi.warning.hidden = warning === undefined;
  setText(keyUi.warning, warning ? `Authkey ${warning}.` : '');
  return authkey;
}
ui.stop.addEventListener('click', () => void stopMaster());
const linkAddress = () => controller.snapshot().address ?? '';
ui.copyLink.addEventListener('click', () => void copy(workerLinkFor(linkAddress(), false), ui.copyLink));
ui.copyLinkKey.addEventListener('click', () => void copy(workerLinkFor(linkAddress(), true), ui.copyLinkKey));
ui.downloadCsv.addEventListener('click', () => downloadCsv(exportData()));
ui.downloadJson.addEventListener('click', () => downloadJson(exportData()));
// Leaving the page stops the master cleanly, so workers learn at once instead of by heartbeat
// (unless a kept run is in progress: see MasterController.leave).
window.addEventListener('pagehide', () => controller.leave());

/** The unfinished run this page offers to resume, with its results so far. */
let resumable: { stored: StoredRun; results: StoredResult[] } | undefined;
const resumeUi = {
  banner: byTestId('resume'),
  text: byTestId('resume-text'),
  run: byTestId<HTMLButtonElement>('resume-run'),
  download: byTestId<HTMLButtonElement>('resume-download'),
  discard: byTestId<HTMLButtonElement>('resume-discard'),
};
resumeUi.run.addEventListener('click', () => {
  const found = resumable;
  if (!found) return;
  showResumable(undefined);
  void controller.startRun({ address: ui.address.value, authkey: ui.authkey.value, tasks: '', resume: found });
});
resumeUi.download.addEventListener('click', () => {
  if (resumable) downloadJson(storedExport(resumable.stored, resumable.results));
});
resumeUi.discard.addEventListener('click', () => {
  if (resumable) void controller.store?.discard(resumable.stored.id).then(() => showResumable(undefined));
});

function storedExport(stored: StoredRun, results: StoredResult[]) {
  return {
    room: stored.room,
    tasks: stored.tasks,
    results: results.map((r) => r.result),
    arrivals: results.map((r) => r.receivedMs),
    summary: null,
  };
}

function showResumable(found: typeof resumable): void {
  resumable = found;
  resumeUi.banner.hidden = !found;
  hook.resumable = found
    ? { room: found.stored.room, tasks: found.stored.tasks.length, answered: found.results.length }
    : null;
  if (!found) return;
  // Resume on the run's own room (same server unless the form already names that room elsewhere).
  if (roomOf(ui.address.value.trim()) !== found.stored.room) {
    ui.address.value = addressOnThisServer(location, found.stored.room);
  }
  setText(
    resumeUi.text,
    `An unfinished run on room “${found.stored.room}”: ${formatCount(found.results.length)} of ${formatCount(found.stored.tasks.length)} tasks answered (started ${new Date(found.stored.createdAt).toLocaleString()}). Enter its authkey to resume it.`,
  );
}

/** Opens the browser's run store and offers the newest unfinished run, if any. */
async function offerUnfinishedRun(): Promise<void> {
  let store: RunStore;
  try {
    store = await RunStore.open();
  } catch (err) {
    logger.warn(`runs will not be kept in this browser: ${(err as Error).message}`);
    return;
  }
  controller.store = store;
  const stored = await store.unfinished();
  if (stored) showResumable({ stored, results: await store.results(stored.id) });
}
void offerUnfinishedRun();

const params = readPageParams(location);
ui.address.value = params.address;
ui.authkey.value = params.authkey;
const tasksParam = Number(params.params.get('tasks'));
if (Number.isInteger(tasksParam) && tasksParam > 0) ui.tasks.value = String(Math.min(tasksParam, MAX_TASKS));
setInterval(render, RENDER_INTERVAL_MS);
render();
(params.authkey ? ui.start : ui.authkey).focus();
