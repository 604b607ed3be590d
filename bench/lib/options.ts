/**
 * The runner's command line. Three profiles set every size; flags override
 * single figures. Bad flags throw a TypeError naming the flag and the value.
 *
 *   node dist/bench/run.js                 full run (N = 100,000, 3 repeats), about 10 minutes
 *   node dist/bench/run.js --quick         N = 5,000, 1 repeat, under 2 minutes
 *   node dist/bench/run.js --smoke         tiny sizes, every section (the smoke test)
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BindingName } from '../../node/platform.js';

export const SECTIONS = [
  'throughput',
  'cli',
  'journal',
  'probe',
  'startup',
  'handshake',
  'browser',
  'many',
  'bindings',
  'signaling',
  'python-listen',
] as const;
export type Section = (typeof SECTIONS)[number];

export type Profile = 'full' | 'quick' | 'smoke';

export interface BenchOptions {
  profile: Profile;
  /** Tasks per throughput run (the seed workload's N). */
  tasks: number;
  /** Worker process counts of the throughput table. */
  workers: number[];
  /** Repeats of every throughput and RPC measurement (medians and spread are printed). */
  repeat: number;
  /** Timed RPC calls per repeat (after a warm-up). */
  rpcCalls: number;
  /** Size of the one large payload, bytes. */
  payloadBytes: number;
  /** Worker processes started one after another to time start-up to first task. */
  startupSamples: number;
  /** Sequential connect()s of one worker process, for the connect() p50/p90. */
  connectSetups: number;
  /** Fresh connections whose authentication handshake is timed. */
  handshakeSetups: number;
  /** Page loads timed in headless Chromium. */
  browserSamples: number;
  /** Tasks of each one-tab seed run in headless Chromium. */
  tabTasks: number;
  /** Concurrent worker connections of the many-workers section. */
  many: number[];
  /** Worker connections hosted per process in the many-workers section. */
  managersPerProcess: number;
  /** Connections being set up at once, over all processes. */
  stage: number;
  /** Tasks of the many-workers throughput run. */
  manyTasks: number;
  /** Tasks per run in the bindings comparison (W = 1). */
  bindingTasks: number;
  bindings: BindingName[];
  /** ws clients of the signaling section (a master and nine workers per room). */
  signalingPeers: number;
  /** Signals each worker sends its master while relay latency is measured. */
  signalsPerWorker: number;
  /** Tasks per run of the --python-listen section (CPython workers, peerproc master vs CPython master). */
  listenTasks: number;
  /** CPython worker counts of the --python-listen section. */
  listenWorkers: number[];
  sections: Section[];
  /** Run the CPython baseline (python3) beside peerproc. */
  python: boolean;
  /** Extra CPython interpreters run beside python3 (throughput only); full runs add pyenv's 3.12.1 when present. */
  extraPythons: string[] | undefined;
  out: string | undefined;
  /** Signaling server options overriding the benchmark's (`--signaling messagesPerSecond=5000`). */
  signaling: Record<string, number>;
  /** Folder for CPU profiles of every child process (node --cpu-prof), or undefined. */
  cpuProf: string | undefined;
}

const PROFILES: Record<
  Profile,
  Omit<BenchOptions, 'profile' | 'sections' | 'out' | 'cpuProf' | 'signaling' | 'python' | 'extraPythons' | 'bindings'>
> = {
  full: {
    tasks: 100_000,
    workers: [1, 2, 4],
    repeat: 3,
    rpcCalls: 3_000,
    payloadBytes: 16 * 2 ** 20,
    startupSamples: 5,
    connectSetups: 50,
    handshakeSetups: 100,
    browserSamples: 3,
    tabTasks: 100_000,
    many: [100, 500],
    managersPerProcess: 100,
    stage: 20,
    manyTasks: 100_000,
    bindingTasks: 100_000,
    signalingPeers: 1_000,
    signalsPerWorker: 20,
    listenTasks: 20_000,
    listenWorkers: [1, 2],
  },
  quick: {
    tasks: 5_000,
    workers: [1, 2, 4],
    repeat: 1,
    rpcCalls: 2_000,
    payloadBytes: 16 * 2 ** 20,
    startupSamples: 3,
    connectSetups: 50,
    handshakeSetups: 100,
    browserSamples: 1,
    tabTasks: 20_000,
    many: [100, 500],
    managersPerProcess: 100,
    stage: 20,
    manyTasks: 5_000,
    bindingTasks: 5_000,
    signalingPeers: 1_000,
    signalsPerWorker: 10,
    listenTasks: 5_000,
    listenWorkers: [1, 2],
  },
  smoke: {
    tasks: 300,
    workers: [1, 2],
    repeat: 1,
    rpcCalls: 200,
    payloadBytes: 2 ** 20,
    startupSamples: 1,
    connectSetups: 3,
    handshakeSetups: 5,
    browserSamples: 1,
    tabTasks: 500,
    many: [10],
    managersPerProcess: 5,
    stage: 10,
    manyTasks: 200,
    bindingTasks: 300,
    signalingPeers: 60,
    signalsPerWorker: 3,
    listenTasks: 300,
    listenWorkers: [1, 2],
  },
};

export const USAGE = `Usage: node dist/bench/run.js [--quick | --smoke] [options]   (inside scripts/netns.sh)

  --quick              N = 5,000 and one repeat (under 2 minutes)
  --smoke              tiny sizes, every section (the smoke test)
  --repeat N           repeats of each throughput and RPC measurement (3)
  --tasks N            tasks per throughput run (100000)
  --workers 1,2,4      worker processes of the throughput table
  --many 100,500       concurrent worker connections of the many-workers section
  --many-tasks N       tasks of its throughput run (100000: the N of the W = 4 row it is held to)
  --signaling-peers N  ws clients of the signaling section (1000)
  --only a,b           run only these sections: ${SECTIONS.join(', ')}
  --skip a,b           leave these sections out
  --bindings a,b       WebRTC bindings to compare (node-datachannel,wrtc)
  --no-python          leave the CPython baseline out
  --python PATH        also run this CPython (throughput), e.g. ~/.pyenv/versions/3.12.1/bin/python3 (repeatable);
                       a full run adds pyenv's 3.12.1 by itself when it is installed
  --out FILE           where to write the JSON (bench/results/latest.json)
  --signaling K=V      override a signaling server option (numbers), e.g. messagesPerSecond=5000 (repeatable)
  --cpu-prof DIR       write a CPU profile of every master/worker process into DIR (node --cpu-prof)`;

/** `--flag`'s value as an integer from 1 up (`fallback` when absent), or a TypeError naming the flag and the value. */
export function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`Expected --${flag} to be an integer from 1 and up, got \`${raw}\` (string)`);
  }
  return value;
}

/** `--flag`'s comma-separated integers from 1 up. */
export function intList(flag: string, raw: string | undefined, fallback: number[]): number[] {
  if (raw === undefined) return fallback;
  return raw.split(',').map((part) => positiveInt(flag, part.trim(), 0));
}

function sectionList(flag: string, raw: string | undefined): Section[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new TypeError(`Expected --${flag} to list sections among ${SECTIONS.join(', ')}, got \`${name}\``);
    }
  }
  return names as Section[];
}

function signalingOverrides(pairs: string[]): Record<string, number> {
  const overrides: Record<string, number> = {};
  for (const pair of pairs) {
    const match = /^(\w+)=(\d+(?:\.\d+)?)$/.exec(pair);
    if (!match) throw new TypeError(`Expected --signaling to be key=number, got \`${pair}\``);
    overrides[match[1] as string] = Number(match[2]);
  }
  return overrides;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      smoke: { type: 'boolean' },
      repeat: { type: 'string' },
      tasks: { type: 'string' },
      workers: { type: 'string' },
      many: { type: 'string' },
      'many-tasks': { type: 'string' },
      'signaling-peers': { type: 'string' },
      only: { type: 'string' },
      skip: { type: 'string' },
      bindings: { type: 'string' },
      python: { type: 'string', multiple: true },
      'no-python': { type: 'boolean' },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      signaling: { type: 'string', multiple: true },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  if (values.quick && values.smoke) throw new TypeError('Expected at most one of --quick and --smoke');
  const profile: Profile = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const base = PROFILES[profile];
  const only = sectionList('only', values.only);
  const skip = sectionList('skip', values.skip) ?? [];
  const bindings = (values.bindings ?? 'node-datachannel,wrtc').split(',').map((b) => b.trim());
  for (const b of bindings) {
    if (b !== 'node-datachannel' && b !== 'wrtc') {
      throw new TypeError(`Expected --bindings to list node-datachannel and/or wrtc, got \`${b}\``);
    }
  }
  const tasks = positiveInt('tasks', values.tasks, base.tasks);
  return {
    ...base,
    profile,
    tasks,
    bindingTasks: values.tasks === undefined ? base.bindingTasks : tasks,
    repeat: positiveInt('repeat', values.repeat, base.repeat),
    workers: intList('workers', values.workers, base.workers),
    many: intList('many', values.many, base.many),
    manyTasks: positiveInt('many-tasks', values['many-tasks'], base.manyTasks),
    signalingPeers: positiveInt('signaling-peers', values['signaling-peers'], base.signalingPeers),
    sections: (only ?? [...SECTIONS]).filter((s) => !skip.includes(s)),
    bindings: bindings as BindingName[],
    python: !values['no-python'],
    extraPythons: values.python,
    out: values.out,
    signaling: signalingOverrides(values.signaling ?? []),
    cpuProf: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
  };
}
