/**
 * The master page's renderers: pure functions of a snapshot (and of the
 * rates sampled for it) that write the page's elements. They keep no state
 * and read nothing else, so what the page shows is what the snapshot says.
 */
import { parseResult } from '../../shared/example.js';
import { byTestId, el, setText } from './dom.js';
import { agentLabel, formatCount, formatDuration, formatPercent, formatRate, shortPeer } from './format.js';
import type { MasterState, MasterWorkerRow, RunSummary } from './hooks.js';
import type { MasterSnapshot } from './master-controller.js';
import type { Run } from './master-session.js';

/** Rows in the results table: the newest ones; the downloads hold them all. */
export const SHOWN_RESULTS = 10;

/** The page's elements, by data-testid (the ids the tests and the styles use). */
export function masterUi() {
  return {
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
    chart: byTestId('chart'),
  };
}

export type MasterUi = ReturnType<typeof masterUi>;

const STATE_LABELS: Record<MasterState, string> = {
  idle: 'Not started',
  starting: 'Starting',
  running: 'Running',
  done: 'Run complete',
  stopped: 'Stopped',
  error: 'Error',
};

const STATUS_LABELS: Record<MasterWorkerRow['status'], string> = {
  authenticating: 'authenticating…',
  connected: 'connected',
  left: 'left',
  rejected: 'rejected',
};

/** The form's buttons and fields, and the error line, for the page's state. */
export function renderControls(ui: MasterUi, snapshot: MasterSnapshot): void {
  const { state, error } = snapshot;
  const live = state === 'starting' || state === 'running' || state === 'done';
  ui.start.textContent = state === 'done' ? 'Run again' : 'Start';
  ui.start.disabled = state === 'starting' || state === 'running';
  ui.stop.hidden = !live;
  ui.address.disabled = live;
  ui.authkey.disabled = live;
  const busy = state === 'starting' || state === 'running';
  const jobPicked = Boolean(ui.jobFile.files?.[0] && ui.tasksFile.files?.[0]);
  ui.tasks.disabled = busy || jobPicked;
  for (const input of [ui.jobFile, ui.tasksFile, ui.taskTimeout]) input.disabled = busy;
  ui.share.hidden = !live;
  ui.error.hidden = error === null;
  setText(ui.error, error ?? '');
}

/** The headline rate: tasks per second over the last seconds while running, the whole run's once done. */
export function renderRate(ui: MasterUi, snapshot: MasterSnapshot, recentRate: number): void {
  if (snapshot.state === 'running' && snapshot.run) {
    setText(ui.rate, formatRate(recentRate));
    setText(ui.rateNote, 'last 2 s');
  } else if (snapshot.state === 'done' && snapshot.summary) {
    setText(ui.rate, formatRate(snapshot.summary.tasksPerSecond));
    setText(ui.rateNote, 'whole run');
  }
}

/** The state pill, the progress bar and the counters; `now` is the time elapsed is measured to. */
export function renderProgress(ui: MasterUi, snapshot: MasterSnapshot, now: number): void {
  const { state, run } = snapshot;
  const total = run?.tasks.length ?? 0;
  const received = run?.results.length ?? 0;
  ui.pill.dataset.state = state;
  setText(ui.label, STATE_LABELS[state]);
  setText(
    ui.progressText,
    run
      ? `${formatCount(received)} / ${formatCount(total)} results`
      : state === 'starting'
        ? 'Starting…'
        : 'No run yet',
  );
  const fraction = total ? received / total : 0;
  setText(ui.progressAside, progressAside(run, fraction, total - received));
  ui.progressBar.style.width = `${(fraction * 100).toFixed(2)}%`;
  ui.progressBar.dataset.done = String(state === 'done');
  setText(ui.received, formatCount(received));
  setText(ui.elapsed, run ? formatDuration((run.finishedAt ?? now) - run.startedAt) : '–');
}

function progressAside(run: Readonly<Run> | null, fraction: number, left: number): string {
  if (!run) return 'Press Start (an empty authkey gets a generated one)';
  if (run.finishedAt !== null) return `done in ${formatDuration(run.finishedAt - run.startedAt)}`;
  return `${formatPercent(fraction)} · ${formatCount(left)} to go`;
}

function badge(agent: string): HTMLElement {
  const label = agentLabel(agent);
  return el('span', { class: `badge ${label.toLowerCase()}` }, label);
}

function shareCell(share: number): HTMLElement {
  const fill = el('div', { class: 'bar-fill', style: `width:${(share * 100).toFixed(1)}%` });
  return el('div', { class: 'share' }, el('div', { class: 'bar' }, fill), el('span', {}, formatPercent(share)));
}

/** The workers table, the connected count by kind, and the rejected count. */
export function renderWorkers(ui: MasterUi, snapshot: MasterSnapshot): void {
  const rows = snapshot.workers;
  ui.workers.tBodies[0].replaceChildren(
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
  setText(ui.rejected, snapshot.rejected ? `${snapshot.rejected} rejected (wrong authkey)` : '');
}

/** The newest results, their count, and whether there is anything to download. */
export function renderResults(ui: MasterUi, snapshot: MasterSnapshot): void {
  const run = snapshot.run;
  const results = run?.results ?? [];
  const rows: HTMLElement[] = [];
  for (let i = results.length - 1; i >= 0 && rows.length < SHOWN_RESULTS; i--) {
    const parsed = parseResult(results[i]);
    const record = snapshot.records?.[i];
    const task = record ? JSON.stringify(record.task).slice(0, 24) : parsed ? formatCount(parsed.n) : '?';
    rows.push(
      el(
        'tr',
        {},
        el('td', { class: 'num' }, formatCount(i + 1)),
        el('td', { class: 'num' }, task),
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
  // A job run downloads as JSON lines in the CLI's format; the demo as CSV or JSON.
  const jobbed = snapshot.records !== undefined;
  ui.downloadCsv.disabled = results.length === 0 || jobbed;
  ui.downloadJson.disabled = results.length === 0 || jobbed;
  ui.downloadJsonl.hidden = !jobbed;
  ui.downloadJsonl.disabled = results.length === 0;
}

/** The run's summary: totals, the check of every result, and each worker's share. */
export function renderSummary(ui: MasterUi, summary: RunSummary | null): void {
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
