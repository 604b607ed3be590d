/**
 * The worker page (`/worker`): lend this browser to a master. Connects at once
 * when the URL carries both the address and `#authkey=`, so one link is all a
 * volunteer needs.
 */
import './styles.css';
import { shortHash } from '../../shared/jobs/protocol.js';
import type { Logger } from '../lib/index.js';
import { addressProblem, displayAddress, readPageParams, roomOf } from './address.js';
import { Compute, MAX_COMPUTE_BATCH } from './compute.js';
import { byTestId, el, publishHook, setText } from './dom.js';
import { clockTime, formatCount, formatDuration, formatRate } from './format.js';
import type { WorkerPageHook, WorkerState } from './hooks.js';
import { defaultPoolSize } from './jobs/sandbox-pool.js';
import { RateMeter } from './rate-meter.js';
import { Volunteer } from './volunteer.js';

/** How many results and activity lines the page keeps on screen. */
const SHOWN_RESULTS = 8;
const SHOWN_ACTIVITY = 8;
/** Screen refresh period: numbers change at most this often, however fast tasks go. */
const RENDER_INTERVAL_MS = 250;

const hook = publishHook<WorkerPageHook>({
  page: 'worker',
  state: 'idle',
  reason: null,
  code: null,
  done: 0,
  rate: 0,
  lastResults: [],
  sessions: 0,
  authenticatedAtMs: null,
  firstResultAtMs: null,
  lastResultAtMs: null,
  job: null,
  jobReadyAtMs: null,
  jobErrors: 0,
  largestComputeBatch: 0,
  secureContext: window.isSecureContext,
  hasSubtleCrypto: typeof globalThis.crypto?.subtle !== 'undefined',
});

const ui = {
  form: byTestId<HTMLFormElement>('connect-form'),
  address: byTestId<HTMLInputElement>('address'),
  authkey: byTestId<HTMLInputElement>('authkey'),
  button: byTestId<HTMLButtonElement>('connect'),
  pill: byTestId('state-pill'),
  label: byTestId('state-label'),
  detail: byTestId('status-detail'),
  done: byTestId('done'),
  rate: byTestId('rate'),
  average: byTestId('average-rate'),
  sessions: byTestId('sessions'),
  uptimeNote: byTestId('uptime-note'),
  uptime: byTestId('uptime'),
  firstResult: byTestId('first-result'),
  results: byTestId<HTMLOListElement>('last-results'),
  noResults: byTestId('no-results'),
  activity: byTestId<HTMLUListElement>('activity'),
  job: byTestId('job-line'),
};

// `?work=SECONDS` simulates work per task, like `peerproc worker --work` (the seed's time.sleep(1)).
const workSeconds = Math.max(0, Number(new URLSearchParams(location.search).get('work')) || 0);
const compute = new Compute(workSeconds);
// `?threads=N` sets the job's Web Worker count (default: one per core, capped).
const threads = Math.max(
  1,
  Math.floor(Number(new URLSearchParams(location.search).get('threads')) || defaultPoolSize()),
);
const meter = new RateMeter();
// The core's warnings go to the console for developers; the page shows its own summary of events.
const logger: Logger = { info: (m) => console.debug(m), warn: (m) => console.warn(m), error: (m) => console.error(m) };

let volunteer: Volunteer | undefined;
let sessionStartedAt: number | null = null;
let busy = false;
/** Time spent with tasks in hand (from a first task to the last result before the queue ran dry), for the average. */
let busyMs = 0;
let busySince: number | null = null;
let resultsDirty = true;
let renderedAt = 0;
let address = '';

const STATE_LABELS: Record<WorkerState, string> = {
  idle: 'Not connected',
  waiting: 'Waiting for master',
  working: 'Authenticated',
  'master-gone': 'Master gone',
  'auth-failed': 'Wrong authkey',
  error: 'Cannot connect',
  stopped: 'Disconnected',
};

function statusDetail(): string {
  const room = roomOf(address);
  switch (hook.state) {
    case 'idle':
      return "Enter the master's address and authkey to start helping.";
    case 'waiting':
      return hook.reason
        ? `Looking for the master of room “${room}”: ${hook.reason}. Still trying…`
        : `Looking for the master of room “${room}” at ${displayAddress(address)}…`;
    case 'working':
      return busy
        ? `Authenticated with the master of room “${room}”: working.`
        : `Authenticated with the master of room “${room}”: waiting for tasks.`;
    case 'master-gone':
      return `The master went away (${hook.reason ?? 'connection lost'}). Reconnecting as soon as a master is back…`;
    case 'auth-failed':
      return hook.code === 'KEY_REJECTED'
        ? 'The master does not accept this authkey. Check the key and press Connect.'
        : `Authentication failed: ${hook.reason ?? 'unknown reason'}. Check the authkey and press Connect.`;
    case 'error':
      return hook.reason ?? 'The settings are not valid.';
    case 'stopped':
      return 'Disconnected. Press Connect to help again.';
  }
}

function setState(state: WorkerState, reason: string | null, code: string | null = null): void {
  hook.state = state;
  hook.reason = reason;
  hook.code = code;
  if (state === 'working') {
    hook.sessions++;
    sessionStartedAt = performance.now();
    hook.authenticatedAtMs ??= sessionStartedAt;
  } else {
    sessionStartedAt = null;
    setBusy(false);
  }
  const running = state === 'waiting' || state === 'working' || state === 'master-gone';
  ui.button.textContent = running ? 'Disconnect' : 'Connect';
  ui.button.classList.toggle('primary', !running);
  ui.address.disabled = running;
  ui.authkey.disabled = running;
  render();
}

function addActivity(message: string): void {
  const item = el('li', {}, el('time', {}, clockTime()), el('span', {}, message));
  ui.activity.prepend(item);
  while (ui.activity.children.length > SHOWN_ACTIVITY) ui.activity.lastElementChild?.remove();
}

function onResult(text: string): void {
  const now = performance.now();
  hook.done++;
  hook.firstResultAtMs ??= now;
  hook.lastResultAtMs = now;
  hook.lastResults.unshift(text);
  if (hook.lastResults.length > SHOWN_RESULTS) hook.lastResults.length = SHOWN_RESULTS;
  resultsDirty = true;
  // Under load, network events can starve the refresh timer: refresh from here when it is due.
  if (now - renderedAt >= RENDER_INTERVAL_MS) render();
}

function setBusy(value: boolean): void {
  const now = performance.now();
  if (value && !busy) busySince = now;
  if (!value && busy && busySince !== null) busyMs += Math.max((hook.lastResultAtMs ?? now) - busySince, 0);
  if (!value) busySince = null;
  busy = value;
}

function averageRate(): number | null {
  const ms = busyMs + (busySince !== null ? performance.now() - busySince : 0);
  return ms > 0 && hook.done > 0 ? (hook.done * 1000) / ms : null;
}

function render(): void {
  const now = performance.now();
  renderedAt = now;
  hook.rate = meter.sample(now, hook.done);
  hook.largestComputeBatch = compute.largestBatch;
  ui.pill.dataset.state = hook.state === 'working' && !busy ? 'idle-working' : hook.state;
  setText(ui.label, hook.state === 'working' ? (busy ? 'Working' : 'Waiting for tasks') : STATE_LABELS[hook.state]);
  setText(ui.detail, statusDetail());
  setText(ui.done, formatCount(hook.done));
  setText(ui.rate, formatRate(hook.rate));
  const average = averageRate();
  setText(ui.average, average === null ? 'while working' : `average ${formatRate(average)} while working`);
  setText(ui.uptime, sessionStartedAt === null ? '–' : formatDuration(now - sessionStartedAt));
  setText(ui.uptimeNote, sessionStartedAt === null ? 'not connected' : 'to the current master');
  setText(ui.sessions, hook.sessions > 1 ? `over ${hook.sessions} connections` : 'since the page opened');
  setText(ui.firstResult, formatDuration(hook.firstResultAtMs));
  if (resultsDirty) {
    resultsDirty = false;
    ui.results.replaceChildren(...hook.lastResults.map((text) => el('li', {}, text)));
    ui.noResults.hidden = hook.lastResults.length > 0;
  }
}

function start(): void {
  address = ui.address.value.trim();
  const authkey = ui.authkey.value;
  const problem = addressProblem(address);
  if (problem) {
    setState('error', problem);
    return;
  }
  if (!authkey) {
    setState('error', 'Enter the authkey the master was started with.');
    ui.authkey.focus();
    return;
  }
  addActivity(`connecting to room “${roomOf(address)}”`);
  volunteer = new Volunteer({
    address,
    authkey,
    compute: (n) => compute.square(n),
    // Simulated work stays one task after another, as `peerproc worker --work` does; real squares go in batches.
    inFlight: workSeconds > 0 ? 1 : MAX_COMPUTE_BATCH,
    logger,
    onState: setState,
    onResult,
    onActivity: addActivity,
    threads,
    onJob: (job) => {
      hook.job = job && { name: job.description.name, sha256: job.description.sha256, threads: job.threads };
      ui.job.hidden = job === null;
      if (job) {
        hook.jobReadyAtMs ??= performance.now();
        setText(
          ui.job,
          `Job “${job.description.name}” · sha256 ${shortHash(job.description.sha256)} · ${job.threads} Web Worker(s), sandboxed`,
        );
        addActivity(`running job “${job.description.name}” (${shortHash(job.description.sha256)})`);
      }
    },
    onJobOutcome: (outcome) => {
      if ('error' in outcome) hook.jobErrors++;
    },
    onBusy: (value) => {
      setBusy(value);
      render();
    },
  });
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const current = volunteer;
  if (current && (hook.state === 'waiting' || hook.state === 'working' || hook.state === 'master-gone')) {
    volunteer = undefined;
    ui.button.disabled = true;
    void current.stop().finally(() => {
      ui.button.disabled = false;
    });
    return;
  }
  start();
});

// Closing the tab says goodbye, so the master sees the worker leave at once.
window.addEventListener('pagehide', () => void volunteer?.stop());

const params = readPageParams(location);
ui.address.value = params.address;
ui.authkey.value = params.authkey;
setInterval(render, RENDER_INTERVAL_MS);
render();
if (params.address && params.authkey) start();
else (params.address ? ui.authkey : ui.address).focus();
