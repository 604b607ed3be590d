/**
 * `npm run bench`: peerproc beside CPython's multiprocessing.managers, in one
 * run on this machine, inside the private network namespace.
 *
 *   bash scripts/netns.sh node dist/bench/run.js [--quick | --smoke] [--repeat N] ...
 *
 * Prints progress on stderr and the side-by-side table (Markdown) on stdout,
 * writes every figure to bench/results/latest.json, and exits 0 when every
 * measurement ran and every result checked out (targets missed do not fail
 * the run: they are reported).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { type SignalingServer, startSignalingServer } from '../signaling/index.js';
import { installCleanup, killAllChildren } from './lib/children.js';
import { type Context, makeContext } from './lib/context.js';
import { type BenchOptions, parseOptions, type Section, USAGE } from './lib/options.js';
import { type Pages, preparePages } from './lib/pages.js';
import { RESULTS_DIR } from './lib/paths.js';
import { findPython, type PythonInfo, pyenvPython } from './lib/python.js';
import { type Row, renderTable } from './lib/report.js';
import { type BindingsResult, bindingRows, runBindings } from './sections/bindings.js';
import { type BrowserResult, browserRows, runBrowser } from './sections/browser.js';
import { type CliSeedResult, cliSeedRows, runCliSeed } from './sections/cli-seed.js';
import { type HandshakeResult, handshakeRows, runHandshake } from './sections/handshake.js';
import { type JournalResult, journalRows, runJournal } from './sections/journal.js';
import { type ManyRun, manyRows, runMany } from './sections/many.js';
import { type ProbeResult, payloadRows, rpcRows, runProbe } from './sections/probe.js';
import { type ListenResult, pythonListenRows, runPythonListen } from './sections/python-listen.js';
import { runSignaling, type SignalingResult, signalingRows } from './sections/signaling.js';
import { runStartup, type StartupResult, startupRows } from './sections/startup.js';
import { medianTasksPerS, runThroughput, type ThroughputResult, throughputRows } from './sections/throughput.js';

const SCHEMA = 'peerproc-bench/1';
/** Whole-run limits: a run that goes past them is killed (with its children) and fails. */
const WATCHDOG_MS = { full: 30 * 60_000, quick: 8 * 60_000, smoke: 5 * 60_000 } as const;
/** pyenv version run beside python3 in full runs, when installed. */
const EXTRA_PYTHON_VERSION = '3.12.1';

/**
 * The benchmark's own signaling server. Every worker connects from 127.0.0.1,
 * so the per-address limits (meant for one NAT in front of a lab) are raised
 * to what a 500-worker cluster spread over many addresses would get; all other
 * limits are the defaults (`--signaling key=value` overrides any option, for experiments).
 */
const SIGNALING_LIMITS = {
  maxConnectionsPerIp: 2_000,
  ipConnectionsPerSecond: 1_000,
  ipConnectionBurst: 1_000,
} as const;

interface Results {
  throughput?: ThroughputResult;
  probe?: ProbeResult;
  startup?: StartupResult;
  handshake?: HandshakeResult;
  browser?: BrowserResult;
  journal?: JournalResult;
  cli?: CliSeedResult;
  many?: Record<string, ManyRun[]>;
  bindings?: BindingsResult;
  signaling?: SignalingResult;
  'python-listen'?: ListenResult;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

async function extraPythons(options: BenchOptions, python: PythonInfo | undefined): Promise<PythonInfo[]> {
  if (!options.python) return [];
  const commands =
    options.extraPythons ??
    (options.profile === 'full' ? [pyenvPython(EXTRA_PYTHON_VERSION)].filter((p): p is string => !!p) : []);
  const found: PythonInfo[] = [];
  for (const command of commands) {
    const info = await findPython(command);
    if (!info) log(`note: ${command} does not run; left out`);
    else if (info.version !== python?.version) found.push(info);
  }
  return found;
}

async function runSections(ctx: Context, extra: PythonInfo[], pages: Pages): Promise<Results> {
  const results: Results = {};
  const wanted = (section: Section) => ctx.options.sections.includes(section);
  const section = async <K extends keyof Results>(key: K & Section, title: string, run: () => Promise<Results[K]>) => {
    if (!wanted(key)) return;
    log(`== ${title}`);
    const started = performance.now();
    const value = await ctx.attempt(key, run);
    if (value !== undefined) results[key] = value;
    log(`   (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  };
  const { options } = ctx;
  await section(
    'throughput',
    `seed workload: N = ${options.tasks}, W = ${options.workers.join(', ')}, ${options.repeat} repeat(s)`,
    () => runThroughput(ctx, extra),
  );
  await section('cli', "the seed example end to end through the CLI, beside CPython's scripts", () => runCliSeed(ctx));
  await section('journal', "the journal's cost: CLI runs with and without --journal", () => runJournal(ctx));
  await section('probe', `RPC round trip (${options.rpcCalls} calls) and one large payload`, () => runProbe(ctx));
  await section('startup', 'worker start to first task', () => runStartup(ctx));
  await section('handshake', `authentication handshake over ${options.handshakeSetups} setups`, () =>
    runHandshake(ctx),
  );
  await section('browser', 'page load to first task (headless Chromium)', () => runBrowser(ctx, pages));
  await section('many', `many workers: ${options.many.join(', ')}`, () => runMany(ctx));
  await section('bindings', `WebRTC bindings: ${options.bindings.join(', ')}`, () => runBindings(ctx));
  await section(
    'signaling',
    `signaling server: ${options.signalingPeers} ws peers, one process and three nodes on one Redis`,
    () => runSignaling(ctx),
  );
  await section(
    'python-listen',
    `CPython workers: N = ${options.listenTasks}, W = ${options.listenWorkers.join(', ')}, peerproc master --python-listen and CPython's master`,
    () => runPythonListen(ctx),
  );
  return results;
}

function tableRows(ctx: Context, results: Results): Row[] {
  const has = (s: Section) => ctx.options.sections.includes(s);
  return [
    ...(has('throughput') ? throughputRows(ctx, results.throughput) : []),
    ...(has('cli') ? cliSeedRows(ctx, results.cli) : []),
    ...(has('journal') ? journalRows(ctx, results.journal) : []),
    ...(has('probe') ? rpcRows(ctx, results.probe) : []),
    ...(has('startup') ? startupRows(ctx, results.startup) : []),
    ...(has('handshake') ? handshakeRows(results.handshake) : []),
    ...(has('browser') ? browserRows(ctx, results.browser, results.startup) : []),
    ...(has('probe') ? payloadRows(ctx, results.probe) : []),
    ...(has('many') ? manyRows(ctx, results.many, medianTasksPerS(results.throughput, 4)) : []),
    ...(has('bindings') ? bindingRows(ctx, results.bindings) : []),
    ...(has('signaling') ? signalingRows(ctx, results.signaling) : []),
    ...(has('python-listen') ? pythonListenRows(ctx, results['python-listen']) : []),
  ];
}

/** The table, the targets met and missed, and the failures, on stdout; returns the rows that have a target. */
function printReport(title: string, rows: Row[], cpythonLabel: string, failures: string[]): Row[] {
  process.stdout.write(`\n${title}\n\n${renderTable(rows, cpythonLabel)}\n\n`);
  const targets = rows.filter((r) => r.target !== null);
  const met = targets.filter((r) => r.met === true).length;
  process.stdout.write(`targets met: ${met} of ${targets.length}\n`);
  for (const r of targets.filter((t) => t.met !== true)) {
    process.stdout.write(`  ${r.met === false ? 'not met' : 'no figure'}: ${r.measure} (target ${r.target})\n`);
  }
  if (failures.length) {
    process.stdout.write(`failures (${failures.length}):\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
  }
  return targets;
}

/** The options to run with, or the exit code when there is nothing to run (help, bad flags, outside the namespace). */
function runnableOptions(argv: string[]): BenchOptions | number {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(argv);
  } catch (err) {
    log(`bench: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (process.env.PEERPROC_IN_NETNS !== '1') {
    log(
      'bench: the benchmark opens WebRTC connections and must run inside the private network namespace:\n' +
        '  bash scripts/netns.sh node dist/bench/run.js',
    );
    return 2;
  }
  return options;
}

/** The table's title line: profile, date, machine, repeats, duration. */
function runTitle(options: BenchOptions, startedAt: Date, durationS: number): string {
  return (
    `peerproc ${options.profile} run, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
    `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}; ` +
    `${options.repeat > 1 ? `median (min–max, n) of ${options.repeat} repeats` : 'one repeat'}; ` +
    `${durationS.toFixed(0)} s`
  );
}

/** The JSON's description of the run: schema, command, when, how long, on what, with which options. */
function runHeader(options: BenchOptions, startedAt: Date, durationS: number, title: string) {
  return {
    schema: SCHEMA,
    profile: options.profile,
    command: `node ${process.argv.slice(1).join(' ')}`,
    startedAt: startedAt.toISOString(),
    durationS,
    title,
    machine: machine(),
    options,
    signalingOptions: { ...SIGNALING_LIMITS, ...options.signaling },
  };
}

/** The machine the run was on, for the JSON. */
function machine() {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? null,
    totalMemMb: Math.round(totalmem() / 2 ** 20),
  };
}

async function main(argv: string[]): Promise<number> {
  const options = runnableOptions(argv);
  if (typeof options === 'number') return options;
  installCleanup();
  const watchdog = setTimeout(() => {
    log(`bench: the run took longer than ${WATCHDOG_MS[options.profile] / 60_000} minutes; stopping it`);
    killAllChildren();
    process.exit(1);
  }, WATCHDOG_MS[options.profile]);
  watchdog.unref();

  const startedAt = new Date();
  const started = performance.now();
  const python = options.python ? await findPython() : undefined;
  if (options.python && !python) log('notice: no python3 found; the CPython column is left empty');
  const extra = await extraPythons(options, python);
  const pages: Pages = options.sections.includes('browser') ? await preparePages(log) : { skipped: 'not run' };
  let signaling: SignalingServer | undefined;
  try {
    signaling = await startSignalingServer({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      ...SIGNALING_LIMITS,
      ...options.signaling,
      ...('dir' in pages ? { staticDir: pages.dir } : {}),
    });
    const ctx = makeContext(options, signaling, python, log);
    log(
      `peerproc benchmark (${options.profile}): node ${process.version}, ` +
        `${python ? `CPython ${python.version}` : 'no CPython'}${extra.map((p) => ` + ${p.version}`).join('')}, ` +
        `${cpus().length} CPUs, signaling on ${signaling.url}`,
    );
    const results = await runSections(ctx, extra, pages);
    const rows = tableRows(ctx, results);
    const durationS = (performance.now() - started) / 1000;
    const cpythonLabel = python ? `CPython ${python.version}` : 'CPython';

    const title = runTitle(options, startedAt, durationS);
    const targets = printReport(title, rows, cpythonLabel, ctx.failures);
    const out = resolve(options.out ?? resolve(RESULTS_DIR, 'latest.json'));
    await mkdir(dirname(out), { recursive: true });
    const json = {
      ...runHeader(options, startedAt, durationS, title),
      python: python ?? null,
      extraPythons: extra,
      rows,
      targets: targets.map((r) => ({ id: r.id, measure: r.measure, target: r.target, met: r.met })),
      results,
      failures: ctx.failures,
    };
    await writeFile(out, `${JSON.stringify(json, null, 2)}\n`);
    log(`results written to ${out}`);
    return ctx.failures.length ? 1 : 0;
  } finally {
    await signaling?.close().catch(() => {});
    if ('cleanup' in pages) await pages.cleanup().catch(() => {});
    clearTimeout(watchdog);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    killAllChildren();
    // Native WebRTC threads (the bindings comparison loads them here) can keep the event loop alive.
    process.exit(code);
  },
  (err: unknown) => {
    log(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    killAllChildren();
    process.exit(1);
  },
);
