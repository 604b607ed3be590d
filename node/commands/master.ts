/**
 * `peerproc master`: Python's task_master.py. Puts --tasks random integers in
 * 0..10000 on the task queue, then prints each result as it comes back. It
 * waits while tasks are in flight or workers are connecting, and gives up
 * after --timeout seconds in which nothing happens at all (StallWatch).
 */
import { ConfigError } from '../../shared/errors.js';
import { randomTask, transcript } from '../../shared/example.js';
import type { ManagerEvent } from '../../shared/manager/events.js';
import { StallWatch } from '../../shared/manager/stall-watch.js';
import { FirstAnswers } from '../../shared/queue/first-answers.js';
import { Queue } from '../../shared/queue/queue.js';
import { closeOnStopSignals } from '../exit-after-flush.js';
import { MASTER_JOB_FLAGS, MASTER_JOB_USAGE, type MasterJob, prepareMasterJob } from '../jobs/master-job.js';
import type { RunJournal } from '../journal/run-journal.js';
import { BaseManager } from '../manager.js';
import { flushOutput } from '../output.js';
import { loadPlatform } from '../platform.js';
import { PYTHON_SERVE_FLAGS, PYTHON_SERVE_USAGE, pythonServeFlags } from '../python/flags.js';
import {
  CONNECTION_FLAGS,
  EXIT_FAILURE,
  EXIT_OK,
  iceServersFlag,
  type Jobs,
  numberFlag,
  type Options,
  parseFlags,
  requireString,
  stderrLogger,
} from './common.js';
import { masterAuthkey } from './master-authkey.js';
import { nextResult, openSeedJournal, runJournaled } from './master-results.js';
import { transcript as quietableOutput, RunSummary } from './run-summary.js';

export const MASTER_USAGE = `Usage: peerproc master --address ws://HOST:PORT/ROOM [--authkey KEY] [options]

  --address URL        signaling server and room (the master's address)
  --authkey KEY        shared secret (or PEERPROC_AUTHKEY); without one, a random 128-bit
                       key is generated and printed with the worker link and command
  --tasks N            number of tasks to put (10)
  --timeout SECONDS    give up after this long without any result and without any worker
                       joining or leaving, while no task is in flight (10)
  --min-workers N      wait until N workers are connected and asking for a task before
                       putting any (0)
  --wait SECONDS       longest wait for --min-workers (30)
  --journal FILE       record the run's tasks and results in FILE (LMDB) as they happen; run
                       the same command again after a crash to resume: only unanswered
                       tasks are put, and each result is printed once across the runs
  --fresh              with --journal: start over, discarding the journal's run
  --python-listen HOST:PORT
                       also serve the queues to unmodified CPython workers on this TCP
                       address (same authkey; their address=(HOST, PORT)); port 0: a free one
${PYTHON_SERVE_USAGE}
  --ice-servers JSON   STUN/TURN servers (default: those the signaling server hands out)
  --webrtc NAME        WebRTC binding: node-datachannel (default) or wrtc
  -q, --quiet          print only the summary line (stderr), not each task and result
  -h, --help           this help
${MASTER_JOB_USAGE}`;

const MASTER_FLAGS: Options = {
  ...CONNECTION_FLAGS,
  quiet: { type: 'boolean', short: 'q' },
  tasks: { type: 'string' },
  timeout: { type: 'string' },
  'min-workers': { type: 'string' },
  wait: { type: 'string' },
  'python-listen': { type: 'string' },
  journal: { type: 'string' },
  fresh: { type: 'boolean' },
  ...PYTHON_SERVE_FLAGS,
  ...MASTER_JOB_FLAGS,
};

/** The master's flags, checked; prepareMasterJob checks --job's own, pythonServeFlags the Python listener's. */
interface MasterOptions {
  address: string;
  authkey: string;
  tasks: number;
  timeout: number;
  minWorkers: number;
  wait: number;
  quiet: boolean;
  /** --journal FILE, and --fresh. */
  journal: { path: string; fresh: boolean } | undefined;
}

function masterOptions(values: Record<string, unknown>): MasterOptions {
  const address = requireString(values, 'address');
  const authkey = masterAuthkey(values, address);
  const tasks = numberFlag(values, 'tasks', 10, { integer: true });
  const timeout = numberFlag(values, 'timeout', 10);
  const minWorkers = numberFlag(values, 'min-workers', 0, { integer: true });
  const wait = numberFlag(values, 'wait', 30);
  const journalPath = values.journal === undefined ? undefined : requireString(values, 'journal');
  if (values.fresh && journalPath === undefined) throw new ConfigError('--fresh needs --journal FILE');
  const journal = journalPath === undefined ? undefined : { path: journalPath, fresh: values.fresh === true };
  return { address, authkey, tasks, timeout, minWorkers, wait, quiet: values.quiet === true, journal };
}

/** What the master serves and runs once its workers are there: a --job's tasks, or the seed's squares. */
interface MasterRun {
  register(manager: BaseManager<Jobs>): void;
  /** Workers waiting on the run's task queue now: connected and ready for their first task. */
  waitingWorkers(): number;
  run(manager: BaseManager<Jobs>): Promise<number>;
  /** Its last lines, once the manager has shut down. */
  end(): void;
}

function jobRun(job: MasterJob, timeout: number): MasterRun {
  return {
    register: (manager) => job.register(manager),
    waitingWorkers: () => job.waitingWorkers(),
    run: () => job.run(timeout),
    // A job run's standard output is the results file, and its summary its own: nothing else goes there.
    end: () => {},
  };
}

/** The seed's run without a journal: puts --tasks random integers, then prints each first result until all are in. */
async function putAndCollect(
  manager: BaseManager<Jobs>,
  taskQueue: Queue<number>,
  resultQueue: Queue<string>,
  answers: FirstAnswers,
  { tasks, timeout, address }: MasterOptions,
  out: (line: string) => void,
): Promise<number> {
  const task = await manager.get_task_queue();
  for (let i = 0; i < tasks; i++) {
    const n = randomTask();
    out(transcript.putTask(n));
    await task.put(n);
  }
  out('Try get results...');
  const watch = new StallWatch(manager, taskQueue, timeout);
  try {
    while (answers.accepted < tasks) {
      const entry = await nextResult(resultQueue, watch, { got: answers.accepted, tasks, address });
      if (entry === undefined) return EXIT_FAILURE;
      if (answers.accept(entry)) out(transcript.result(entry.value));
    }
  } finally {
    watch.close();
  }
  return EXIT_OK;
}

/** The seed's run: task_master.py's random integers out on one queue, their squares back on the other. */
function seedRun(
  options: MasterOptions,
  journal: RunJournal<number, string> | undefined,
  print: (line: string) => void,
): MasterRun {
  const out = quietableOutput(print, options.quiet);
  const taskQueue = new Queue<number>();
  const resultQueue = new Queue<string>();
  const summary = new RunSummary();
  // A redelivered task can be answered twice; each result names the task it answers.
  const answers = new FirstAnswers();
  // A journaled run's own count (its journal may hold earlier runs' results too).
  const tally = { accepted: 0, duplicates: 0 };
  return {
    register(manager) {
      manager.register('get_task_queue', () => taskQueue);
      manager.register('get_result_queue', () => resultQueue);
    },
    waitingWorkers: () => taskQueue.waitingPeers(),
    run(manager) {
      summary.start();
      if (!journal) return putAndCollect(manager, taskQueue, resultQueue, answers, options, out);
      const { timeout, address, quiet } = options;
      return runJournaled(journal, manager, taskQueue, resultQueue, { timeout, address, quiet }, out, tally);
    },
    end() {
      out('master exit.');
      // The transcript ends before the summary starts on stderr (a terminal shows both, in this order).
      flushOutput();
      if (taskQueue.redeliveries > 0) {
        stderrLogger.info(`${taskQueue.redeliveries} task(s) redelivered (their workers were lost)`);
      }
      stderrLogger.info(journal ? summary.line(tally, journal.total) : summary.line(answers, options.tasks));
    },
  };
}

/** The job of --job, or the seed's run with the journal of --journal, if any. */
async function prepareRun(
  values: Record<string, unknown>,
  options: MasterOptions,
  print: (line: string) => void,
): Promise<MasterRun> {
  // --job: a job run (node/jobs/) instead of the seed's squares, on the same manager (its journal, if any, inside).
  const job = await prepareMasterJob(values, stderrLogger, options.journal);
  if (job) return jobRun(job, options.timeout);
  // Opened before anything else, so a journal of another run fails fast and touches nothing.
  const journal =
    options.journal && (await openSeedJournal(options.journal.path, options.tasks, options.journal.fresh));
  return seedRun(options, journal, print);
}

/** Each worker on stderr as it joins: whoever runs the master sees the room fill. */
function logWorkerConnected(event: ManagerEvent): void {
  if (event.type !== 'worker-authenticated') return;
  // The ICE path, e.g. "host <-> host" on a LAN, "relay <-> relay" through a TURN server.
  const path = event.path ? ` (path: ${event.path.local} <-> ${event.path.remote})` : '';
  stderrLogger.info(`worker ${event.peer} connected${path}`);
}

/** The manager serving `run`, started: to WebRTC workers, and with --python-listen to CPython ones. */
async function startManager(
  values: Record<string, unknown>,
  { address, authkey }: MasterOptions,
  run: MasterRun,
): Promise<BaseManager<Jobs>> {
  const pythonFlags = pythonServeFlags(values);
  const manager = new BaseManager<Jobs>({
    address,
    authkey,
    iceServers: iceServersFlag(values),
    platform: await loadPlatform(values.webrtc as string | undefined),
    logger: stderrLogger,
  });
  run.register(manager);
  manager.on(logWorkerConnected);
  await manager.start();
  // CPython workers on TCP, beside the WebRTC ones (closed by manager.shutdown()).
  if (typeof values['python-listen'] === 'string') {
    const { startPythonListener } = await import('./python.js');
    await startPythonListener(manager, values['python-listen'], stderrLogger, pythonFlags);
  }
  // Tell the workers (they exit cleanly) before leaving.
  closeOnStopSignals('shutting down', () => manager.shutdown());
  return manager;
}

/** How often --min-workers looks at the task queue: a wait that happens once per run, so a poll is simplest. */
const WAITING_POLL_MS = 10;

/**
 * Resolves true once `count` workers wait on the task queue, false after
 * `seconds`. Waiting, not just connected: a worker that connected first
 * would otherwise take a short run's every task before the next one asked.
 */
async function waitForWorkers(run: MasterRun, count: number, seconds: number): Promise<boolean> {
  const deadline = performance.now() + seconds * 1000;
  while (run.waitingWorkers() < count) {
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, WAITING_POLL_MS));
  }
  return true;
}

/** --min-workers: false, said on stderr, when fewer than that were waiting for tasks within --wait seconds. */
async function enoughWorkers(run: MasterRun, { minWorkers, wait, address }: MasterOptions): Promise<boolean> {
  if (minWorkers === 0) return true;
  stderrLogger.info(`waiting for ${minWorkers} worker(s) on ${address}...`);
  if (await waitForWorkers(run, minWorkers, wait)) return true;
  process.stderr.write(
    `peerproc master: fewer than ${minWorkers} workers were waiting for tasks within ${wait} s ` +
      `(${run.waitingWorkers()} were)\n`,
  );
  return false;
}

export async function runMaster(argv: string[], print: (line: string) => void): Promise<number> {
  const values = parseFlags(argv, MASTER_FLAGS);
  if (values.help) {
    print(MASTER_USAGE);
    return EXIT_OK;
  }
  const options = masterOptions(values);
  const run = await prepareRun(values, options, print);
  const manager = await startManager(values, options, run);
  try {
    if (!(await enoughWorkers(run, options))) return EXIT_FAILURE;
    return await run.run(manager);
  } finally {
    await manager.shutdown();
    run.end();
  }
}
