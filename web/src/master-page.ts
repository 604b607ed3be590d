/**
 * The master page (`/master`): runs the distributed-process example's master
 * in the browser. The task and result queues live in this page; browser tabs
 * (`/worker`) and Node workers (`peerproc worker`) serve it side by side.
 */
import './styles.css';
import { shortHash } from '../../shared/jobs/protocol.js';
import { AddressInUseError, ConnectionClosedError, type Logger, SignalingError } from '../lib/index.js';
import { addressOnThisServer, addressProblem, DEFAULT_ROOM, readPageParams, roomOf } from './address.js';
import { byTestId, el, publishHook, setText } from './dom.js';
import { downloadCsv, downloadJson, downloadJsonLines } from './downloads.js';
import { agentLabel, formatCount, formatDuration, formatPercent, formatRate, shortPeer } from './format.js';
import type { MasterPageHook, MasterState, MasterWorkerRow } from './hooks.js';
import { JobMasterSession, readPageJob } from './jobs/job-master-session.js';
import { MasterSession, type RunKeeping } from './master-session.js';
import { RateMeter } from './rate-meter.js';
import { RunStore, type StoredResult, type StoredRun } from './run-store.js';
import { parseResult } from './square.js';
import { ThroughputChart, type ThroughputSample } from './throughput-chart.js';

/** Rows in the results table: the newest ones; the downloads hold them all. */
const SHOWN_RESULTS = 10;
const RENDER_INTERVAL_MS = 250;
const MIN_CHART_STEP_MS = 200;
const MAX_TASKS = 1_000_000;

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

const ui = {
  form: byTestId<HTMLFormElement>('run-form'),
  address: byTestId<HTMLInputElement>('address'),
  authkey: byTestId<HTMLInputElement>('authkey'),
  tasks: byTestId<HTMLInputElement>('tasks'),
  start: byTestId<HTMLButtonElement>('start'),
  stop: byTestId<HTMLButtonElement>('stop'),
  share: byTestId('share'),
  workerLink: byTestId('worker-link'),
  copyLink: byTestId<HTMLButtonElement>('copy-link'),
  copyLinkKey: byTestId<HTMLButtonElement>('copy-link-key'),
  error: byTestId('error'),
  pill: byTestId('state-pill'),
  label: byTestId('state-label'),
  progressText: byTestId('progress-text'),
  progressAside: byTestId('progress-aside'),
  progressBar: byTestId('progress-bar'),
  received: byTestId('received'),
  rate: byTestId('rate'),
  rateNote: byTestId('rate-note'),
  elapsed: byTestId('elapsed'),
  workerCount: byTestId('worker-count'),
  workerKinds: byTestId('worker-kinds'),
  summary: byTestId('summary'),
  summaryCheck: byTestId('summary-check'),
  summaryTasks: byTestId('summary-tasks'),
  summaryDuration: byTestId('summary-duration'),
  summaryRate: byTestId('summary-rate'),
  summaryWorkers: byTestId('summary-workers'),
  summaryShares: byTestId<HTMLTableElement>('summary-shares'),
  workers: byTestId<HTMLTableElement>('workers'),
  noWorkers: byTestId('no-workers'),
  rejected: byTestId('rejected'),
  results: byTestId<HTMLTableElement>('results'),
  resultsAside: byTestId('results-aside'),
  resultsTotal: byTestId('results-total'),
  downloadCsv: byTestId<HTMLButtonElement>('download-csv'),
  downloadJson: byTestId<HTMLButtonElement>('download-json'),
  downloadJsonl: byTestId<HTMLButtonElement>('download-jsonl'),
  jobFile: byTestId<HTMLInputElement>('job-file'),
  tasksFile: byTestId<HTMLInputElement>('tasks-file'),
  taskTimeout: byTestId<HTMLInputElement>('task-timeout'),
  jobNote: byTestId('job-note'),
  resume: byTestId('resume'),
  resumeText: byTestId('resume-text'),
  resumeRun: byTestId<HTMLButtonElement>('resume-run'),
  resumeDownload: byTestId<HTMLButtonElement>('resume-download'),
  resumeDiscard: byTestId<HTMLButtonElement>('resume-discard'),
};

const STATE_LABELS: Record<MasterState, string> = {
  idle: 'Not started',
  starting: 'Starting',
  running: 'Running',
  done: 'Run complete',
  stopped: 'Stopped',
  error: 'Error',
};

const logger: Logger = { info: (m) => console.debug(m), warn: (m) => console.warn(m), error: (m) => console.error(m) };
const chart = new ThroughputChart(byTestId('chart'));
/** The chart's rates react within a second; the headline figure is steadier (2 s). */
const CHART_WINDOW_MS = 1_000;
const headline = new RateMeter();
const meters = {
  all: new RateMeter(CHART_WINDOW_MS),
  browser: new RateMeter(CHART_WINDOW_MS),
  node: new RateMeter(CHART_WINDOW_MS),
};
let session: MasterSession | JobMasterSession | undefined;
/** Where runs are kept (undefined where IndexedDB is unavailable: runs then live in memory only). */
let store: RunStore | undefined;
/** The unfinished run this page offers to resume, with its results so far. */
let resumable: { stored: StoredRun; results: StoredResult[] } | undefined;
let authkey = '';
let resultsDirty = false;
let renderedAt = 0;
let chartedAt = 0;

function setState(state: MasterState, error: string | null = null): void {
  hook.state = state;
  hook.error = error;
  const live = state === 'starting' || state === 'running' || state === 'done';
  ui.start.textContent = state === 'done' ? 'Run again' : 'Start';
  ui.start.disabled = state === 'starting' || state === 'running';
  ui.stop.hidden = !live;
  ui.address.disabled = live;
  ui.authkey.disabled = live;
  ui.tasks.disabled = state === 'starting' || state === 'running' || pickedJob() !== undefined;
  for (const input of [ui.jobFile, ui.tasksFile, ui.taskTimeout])
    input.disabled = state === 'starting' || state === 'running';
  ui.share.hidden = !live;
  ui.error.hidden = error === null;
  setText(ui.error, error ?? '');
  render();
}

function describeStartFailure(err: Error, address: string): string {
  if (err instanceof AddressInUseError) {
    return `Room “${roomOf(address)}” already has a master (address in use). Choose another room or stop that master.`;
  }
  if (err instanceof SignalingError) return `The signaling server refused: ${err.message}`;
  if (err instanceof ConnectionClosedError) return `Cannot reach the signaling server at ${address}: ${err.message}`;
  return err.message;
}

/** Both files picked: a job run (jobs/job-master-session.ts) instead of the square demo. */
function pickedJob(): { job: File; tasks: File } | undefined {
  const job = ui.jobFile.files?.[0];
  const tasks = ui.tasksFile.files?.[0];
  return job && tasks ? { job, tasks } : undefined;
}

async function startRun(resume?: { stored: StoredRun; results: StoredResult[] }): Promise<void> {
  const count = resume ? resume.stored.tasks.length : Number(ui.tasks.value);
  const picked = resume ? undefined : pickedJob();
  // A job master serves one job for one run; another run (or the demo) is a new master.
  if (session && (session instanceof JobMasterSession || picked)) {
    await session.stop().catch(() => {});
    session = undefined;
    hook.job = null;
  }
  if (!picked && (!Number.isInteger(count) || count < 1 || count > MAX_TASKS)) {
    setState(
      hook.state === 'done' ? 'done' : 'idle',
      `Tasks must be a whole number from 1 to ${formatCount(MAX_TASKS)}.`,
    );
    return;
  }
  if (!session) {
    const address = ui.address.value.trim();
    const problem = addressProblem(address);
    if (problem) return setState('error', problem);
    authkey = ui.authkey.value;
    if (!authkey) return setState('error', 'Choose an authkey: workers must know it to join.');
    setState('starting');
    let started: MasterSession | JobMasterSession;
    try {
      if (picked) {
        const timeout = Number(ui.taskTimeout.value);
        const job = await readPageJob(picked.job, picked.tasks, timeout > 0 ? timeout : null);
        started = await JobMasterSession.start(address, authkey, logger, job);
      } else {
        started = await MasterSession.start(address, authkey, logger);
      }
    } catch (err) {
      if (hook.state === 'starting') setState('error', describeStartFailure(err as Error, address));
      return;
    }
    if (hook.state !== 'starting') {
      // Stopped while starting: leave the room again at once.
      await started.stop().catch(() => {});
      return;
    }
    session = started;
    if (started instanceof JobMasterSession) {
      const { name, sha256, bytes } = started.description;
      hook.job = { name, sha256 };
      setText(
        ui.jobNote,
        `Serving job “${name}” (sha256 ${shortHash(sha256)}, ${formatCount(bytes)} bytes) with ${formatCount(started.taskCount)} tasks from ${picked?.tasks.name}.`,
      );
    }
    hook.address = address;
    showWorkerLink(address);
  }
  const current = session;
  for (const meter of [headline, ...Object.values(meters)]) meter.reset();
  chart.clear();
  chartedAt = performance.now();
  chart.push(sampleRates(chartedAt, chartedAt, 0, []));
  headline.sample(chartedAt, 0);
  hook.summary = null;
  hook.results = [];
  setState('running');
  // A new run replaces the offer to resume an older one (which stays stored until discarded).
  showResumable(undefined);
  const keeping: RunKeeping | undefined = store && { store, room: roomOf(hook.address ?? ''), resume };
  try {
    const run = current.runTasks(
      count,
      () => {
        resultsDirty = true;
        // Under load, network events can starve the refresh timer: refresh from here when it is due.
        if (performance.now() - renderedAt >= RENDER_INTERVAL_MS) render();
      },
      keeping,
    );
    // The run object exists as soon as runTasks starts; expose its arrays directly (no copies per result).
    hook.tasks = current.run?.tasks ?? [];
    hook.results = current.run?.results ?? [];
    await run;
  } catch (err) {
    if (session === current) setState('error', (err as Error).message);
    return;
  }
  if (session !== current) return;
  chartFinalPoint(current);
  hook.summary = current.summary();
  setState('done');
}

async function stopMaster(): Promise<void> {
  const current = session;
  session = undefined;
  ui.stop.disabled = true;
  await current?.stop().catch(() => {});
  ui.stop.disabled = false;
  hook.address = null;
  setState('stopped');
}

function workerLinkFor(address: string, withKey: boolean): string {
  const page = location.pathname.endsWith('.html') ? 'worker.html' : 'worker';
  const url = new URL(page, location.href);
  const room = roomOf(address);
  if (address === addressOnThisServer(location, room)) {
    if (room !== DEFAULT_ROOM) url.searchParams.set('room', room);
  } else {
    url.searchParams.set('address', address);
  }
  url.hash = withKey ? `authkey=${encodeURIComponent(authkey)}` : '';
  return url.toString();
}

function showWorkerLink(address: string): void {
  setText(ui.workerLink, workerLinkFor(address, false));
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

function badge(agent: string): HTMLElement {
  const label = agentLabel(agent);
  return el('span', { class: `badge ${label.toLowerCase()}` }, label);
}

function shareCell(share: number): HTMLElement {
  const fill = el('div', { class: 'bar-fill', style: `width:${(share * 100).toFixed(1)}%` });
  return el('div', { class: 'share' }, el('div', { class: 'bar' }, fill), el('span', {}, formatPercent(share)));
}

const STATUS_LABELS: Record<MasterWorkerRow['status'], string> = {
  authenticating: 'authenticating…',
  connected: 'connected',
  left: 'left',
  rejected: 'rejected',
};

function renderWorkers(rows: MasterWorkerRow[]): void {
  const body = ui.workers.tBodies[0];
  body.replaceChildren(
    ...rows.map((row) =>
      el(
        'tr',
        { 'data-peer': row.peer },
        el('td', { class: 'mono' }, shortPeer(row.peer)),
        el('td', {}, badge(row.agent)),
        el('td', {}, el('span', { class: `status ${row.status}` }, STATUS_LABELS[row.status])),
        el('td', { class: 'num' }, formatCount(row.results)),
      ),
    ),
  );
  ui.workers.hidden = rows.length === 0;
  ui.noWorkers.hidden = rows.length > 0;
  const connected = rows.filter((r) => r.status === 'connected');
  setText(ui.workerCount, formatCount(connected.length));
  const browsers = connected.filter((r) => agentLabel(r.agent) === 'Browser').length;
  const nodes = connected.filter((r) => agentLabel(r.agent) === 'Node').length;
  const kinds = [browsers ? `${browsers} browser` : '', nodes ? `${nodes} Node` : ''].filter(Boolean).join(' · ');
  setText(ui.workerKinds, kinds || 'none connected');
  setText(ui.rejected, hook.rejected ? `${hook.rejected} rejected (wrong authkey)` : '');
}

function renderResults(): void {
  const current = session;
  const run = current?.run;
  const results = run?.results ?? [];
  const rows: HTMLElement[] = [];
  for (let i = results.length - 1; i >= 0 && rows.length < SHOWN_RESULTS; i--) {
    const parsed = parseResult(results[i]);
    const record = current instanceof JobMasterSession ? current.records[i] : undefined;
    rows.push(
      el(
        'tr',
        {},
        el('td', { class: 'num' }, formatCount(i + 1)),
        el(
          'td',
          { class: 'num' },
          record ? JSON.stringify(record.task).slice(0, 24) : parsed ? formatCount(parsed.n) : '?',
        ),
        el('td', { class: 'mono result' }, results[i]),
        el('td', { class: 'num' }, formatDuration(run?.arrivals[i] ?? null)),
      ),
    );
  }
  ui.results.tBodies[0].replaceChildren(...rows);
  ui.results.hidden = rows.length === 0;
  const total = run?.tasks.length ?? 0;
  setText(
    ui.resultsAside,
    results.length > SHOWN_RESULTS ? `newest ${SHOWN_RESULTS} of ${formatCount(results.length)}` : '',
  );
  setText(
    ui.resultsTotal,
    results.length ? `${formatCount(results.length)} of ${formatCount(total)} results received` : 'No results yet.',
  );
  const jobbed = current instanceof JobMasterSession;
  ui.downloadCsv.disabled = results.length === 0 || jobbed;
  ui.downloadJson.disabled = results.length === 0 || jobbed;
  ui.downloadJsonl.hidden = !jobbed;
  ui.downloadJsonl.disabled = results.length === 0;
}

function renderSummary(): void {
  const summary = hook.summary;
  ui.summary.hidden = summary === null;
  if (!summary) return;
  setText(ui.summaryTasks, formatCount(summary.tasks));
  setText(ui.summaryDuration, formatDuration(summary.durationMs));
  setText(ui.summaryRate, formatRate(summary.tasksPerSecond));
  setText(ui.summaryWorkers, formatCount(summary.workers.length));
  setText(
    ui.summaryCheck,
    (summary.errors !== undefined
      ? `✓ every task answered once: ${formatCount(summary.verified)} results, ${formatCount(summary.errors)} errors`
      : summary.verified === summary.tasks
        ? `✓ all ${formatCount(summary.tasks)} results check out`
        : `${formatCount(summary.tasks - summary.verified)} results do not match their task`) +
      (summary.duplicates > 0 ? ` (${formatCount(summary.duplicates)} duplicates of redelivered tasks set aside)` : ''),
  );
  ui.summaryCheck.classList.toggle('bad', summary.verified + (summary.errors ?? 0) !== summary.tasks);
  ui.summaryShares.tBodies[0].replaceChildren(
    ...summary.workers.map((w) =>
      el(
        'tr',
        {},
        el('td', { class: 'mono' }, shortPeer(w.peer)),
        el('td', {}, badge(w.agent)),
        el('td', { class: 'num' }, formatCount(w.results)),
        el('td', { class: 'num' }, shareCell(w.share)),
      ),
    ),
  );
}

function render(): void {
  const now = performance.now();
  renderedAt = now;
  session?.refresh();
  const rows = session?.rows() ?? [];
  hook.workers = rows;
  hook.rejected = session?.rejected ?? 0;
  const run = session?.run ?? null;
  const total = run?.tasks.length ?? 0;
  const received = run?.results.length ?? 0;
  const running = hook.state === 'running' && run !== null;

  if (running) {
    const sample = sampleRates(run.startedAt, now, received, rows);
    // Refreshes come from the timer and from arriving results: keep the chart's points evenly spaced.
    if (now - chartedAt >= MIN_CHART_STEP_MS) {
      chartedAt = now;
      chart.push(sample);
    }
    setText(ui.rate, formatRate(headline.sample(now, received)));
    setText(ui.rateNote, 'last 2 s');
  } else if (hook.state === 'done' && hook.summary) {
    setText(ui.rate, formatRate(hook.summary.tasksPerSecond));
    setText(ui.rateNote, 'whole run');
  }

  ui.pill.dataset.state = hook.state;
  setText(ui.label, STATE_LABELS[hook.state]);
  setText(
    ui.progressText,
    run
      ? `${formatCount(received)} / ${formatCount(total)} results`
      : hook.state === 'starting'
        ? 'Starting…'
        : 'No run yet',
  );
  const fraction = total ? received / total : 0;
  setText(
    ui.progressAside,
    !run
      ? 'Choose an authkey and press Start'
      : run.finishedAt !== null
        ? `done in ${formatDuration(run.finishedAt - run.startedAt)}`
        : `${formatPercent(fraction)} · ${formatCount(total - received)} to go`,
  );
  ui.progressBar.style.width = `${(fraction * 100).toFixed(2)}%`;
  ui.progressBar.dataset.done = String(hook.state === 'done');
  setText(ui.received, formatCount(received));
  setText(ui.elapsed, run ? formatDuration((run.finishedAt ?? now) - run.startedAt) : '–');
  renderWorkers(rows);
  if (resultsDirty || hook.state !== 'running') {
    resultsDirty = false;
    renderResults();
  }
  renderSummary();
}

/** The rates at the moment the last result came in, so even a run shorter than a refresh has its line. */
function chartFinalPoint(current: MasterSession | JobMasterSession): void {
  const run = current.run;
  if (!run || run.finishedAt === null) return;
  current.refresh();
  chart.push(sampleRates(run.startedAt, run.finishedAt, run.results.length, current.rows()));
}

/** Rates at `now`: in all, and by what the workers run in. */
function sampleRates(startedAt: number, now: number, received: number, rows: MasterWorkerRow[]): ThroughputSample {
  const byKind = (kind: string) =>
    rows.filter((r) => agentLabel(r.agent) === kind).reduce((sum, r) => sum + r.results, 0);
  return {
    t: (now - startedAt) / 1000,
    all: meters.all.sample(now, received),
    browser: meters.browser.sample(now, byKind('Browser')),
    node: meters.node.sample(now, byKind('Node')),
  };
}

function exportData() {
  const run = session instanceof MasterSession ? session.run : null;
  return {
    room: roomOf(hook.address ?? ''),
    tasks: run?.tasks ?? [],
    results: run?.results ?? [],
    arrivals: run?.arrivals ?? [],
    summary: hook.summary,
  };
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void startRun();
});
ui.stop.addEventListener('click', () => void stopMaster());
// With a job picked, the tasks come from its file: the demo's count does not apply.
for (const input of [ui.jobFile, ui.tasksFile]) {
  input.addEventListener('change', () => {
    ui.tasks.disabled = pickedJob() !== undefined;
  });
}
ui.copyLink.addEventListener('click', () => void copy(workerLinkFor(hook.address ?? '', false), ui.copyLink));
ui.copyLinkKey.addEventListener('click', () => void copy(workerLinkFor(hook.address ?? '', true), ui.copyLinkKey));
ui.downloadCsv.addEventListener('click', () => downloadCsv(exportData()));
ui.downloadJson.addEventListener('click', () => downloadJson(exportData()));
ui.downloadJsonl.addEventListener('click', () => {
  if (session instanceof JobMasterSession) downloadJsonLines(roomOf(hook.address ?? ''), session.jsonLines());
});
// Leaving the page stops the master cleanly, so workers learn at once instead of by heartbeat; but with a
// run in progress that this browser keeps, the page just goes (as a crash would): workers wait for it to come back.
window.addEventListener('pagehide', () => {
  if (!(store && hook.state === 'running' && session instanceof MasterSession)) void session?.stop();
});
ui.resumeRun.addEventListener('click', () => {
  if (resumable) void startRun(resumable);
});
ui.resumeDownload.addEventListener('click', () => {
  if (resumable) downloadJson(storedExport(resumable.stored, resumable.results));
});
ui.resumeDiscard.addEventListener('click', () => {
  if (resumable) void store?.discard(resumable.stored.id).then(() => showResumable(undefined));
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
  ui.resume.hidden = !found;
  hook.resumable = found
    ? { room: found.stored.room, tasks: found.stored.tasks.length, answered: found.results.length }
    : null;
  if (!found) return;
  // Resume on the run's own room (same server unless the form already names that room elsewhere).
  if (roomOf(ui.address.value.trim()) !== found.stored.room)
    ui.address.value = addressOnThisServer(location, found.stored.room);
  setText(
    ui.resumeText,
    `An unfinished run on room “${found.stored.room}”: ${formatCount(found.results.length)} of ${formatCount(found.stored.tasks.length)} tasks answered (started ${new Date(found.stored.createdAt).toLocaleString()}). Enter its authkey to resume it.`,
  );
}

/** Opens the browser's run store and offers the newest unfinished run, if any. */
async function offerUnfinishedRun(): Promise<void> {
  try {
    store = await RunStore.open();
  } catch (err) {
    logger.warn(`runs will not be kept in this browser: ${(err as Error).message}`);
    return;
  }
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
setState('idle');
(params.authkey ? ui.start : ui.authkey).focus();
