/**
 * Summarizes the CPU profiles that `run.js --cpu-prof DIR` leaves (one
 * `.cpuprofile` per master and worker process): for each process, how much
 * of its wall time was spent busy, and the functions with the most self time,
 * grouped by where they live (peerproc's own code, the msgpack codec, Node
 * internals, garbage collection, the native WebRTC binding's calls).
 *
 *   node dist/bench/profile-summary.js DIR [--top 15] [--window FROM,TO] [--timeline MS]
 *
 * `--window FROM,TO` keeps only the samples between FROM and TO ms after each
 * profile's start (e.g. the timed run, without start-up and shutdown);
 * `--timeline MS` prints how busy each process was in every MS-long slice,
 * to find that window.
 *
 * The profile format is V8's (Chrome DevTools' `.cpuprofile`): a tree of
 * nodes, each a call frame, and `samples` naming the node on top of the stack
 * at each tick, `timeDeltas` the microseconds between ticks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/paths.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** What V8 names its pseudo-frames: time outside JavaScript. */
const IDLE = '(idle)';
const PSEUDO = new Set(['(program)', '(garbage collector)', IDLE, '(root)']);

/** Where a frame's code comes from, for the grouped view. */
function areaOf(frame: CallFrame): string {
  if (PSEUDO.has(frame.functionName)) return frame.functionName;
  const url = frame.url;
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/@msgpack/')) return 'msgpack';
  if (url.includes('/node-datachannel/')) return 'node-datachannel (JS side)';
  if (url.includes('/node_modules/')) return `other packages`;
  if (url.includes('/dist/bench/')) return 'benchmark harness';
  return 'peerproc';
}

function label(frame: CallFrame): string {
  if (PSEUDO.has(frame.functionName) || frame.url === '') return frame.functionName || '(anonymous native)';
  const file = frame.url.startsWith('file://') ? relative(ROOT, new URL(frame.url).pathname) : frame.url;
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

/** Each sample's node id, its time since the profile's start and the µs it stands for. */
function* ticks(profile: CpuProfile): Generator<{ id: number; atMs: number; us: number }> {
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    // The delta before the next sample is the time this sample stood for.
    yield { id: profile.samples[i] as number, atMs: at / 1000, us: profile.timeDeltas[i + 1] ?? 0 };
  }
}

/** Self time in µs of each node id, counting only samples inside `window` (ms since the start). */
function selfTimes(profile: CpuProfile, window: readonly [number, number]): Map<number, number> {
  const self = new Map<number, number>();
  for (const { id, atMs, us } of ticks(profile)) {
    if (atMs < window[0] || atMs > window[1]) continue;
    self.set(id, (self.get(id) ?? 0) + us);
  }
  return self;
}

/** One line per `sliceMs`: the share of it the process was busy (not idle). */
function timeline(profile: CpuProfile, idleIds: ReadonlySet<number>, sliceMs: number): string {
  const busy: number[] = [];
  const all: number[] = [];
  for (const { id, atMs, us } of ticks(profile)) {
    const slice = Math.floor(atMs / sliceMs);
    all[slice] = (all[slice] ?? 0) + us;
    if (!idleIds.has(id)) busy[slice] = (busy[slice] ?? 0) + us;
  }
  return Array.from(all, (total, i) => {
    const share = total ? ((busy[i] ?? 0) * 100) / total : 0;
    return `  ${String(i * sliceMs).padStart(7)} ms  ${share.toFixed(0).padStart(3)} %  ${'#'.repeat(Math.round(share / 5))}`;
  }).join('\n');
}

interface Options {
  top: number;
  window: readonly [number, number];
  timelineMs: number | undefined;
}

function summarize(file: string, { top, window, timelineMs }: Options): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  if (timelineMs !== undefined) {
    const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === IDLE).map((n) => n.id));
    return `## ${basename(file)}: busy share per ${timelineMs} ms\n${timeline(profile, idle, timelineMs)}\n`;
  }
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfTimes(profile, window)) {
    const frame = frames.get(id) as CallFrame;
    total += us;
    if (frame.functionName === IDLE) {
      idle += us;
      continue;
    }
    byFunction.set(label(frame), (byFunction.get(label(frame)) ?? 0) + us);
    byArea.set(areaOf(frame), (byArea.get(areaOf(frame)) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => `${((us * 100) / busy).toFixed(1).padStart(5)} %`;
  const span = window[1] === Number.POSITIVE_INFINITY ? '' : ` (${window[0]}-${window[1]} ms)`;
  const lines = [
    `## ${basename(file)}${span}: ${(total / 1e6).toFixed(2)} s profiled, ${((busy * 100) / total).toFixed(0)} % busy (shares below are of the busy time)`,
    '',
    'by area:',
    ...[...byArea].sort((a, b) => b[1] - a[1]).map(([area, us]) => `  ${pct(us)}  ${area}`),
    '',
    `top ${top} functions by self time:`,
    ...[...byFunction]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `  ${pct(us)}  ${name}`),
    '',
  ];
  return lines.join('\n');
}

const USAGE = 'usage: profile-summary DIR [--top N] [--window FROM,TO] [--timeline MS]';

function parseOptions(values: { top?: string; window?: string; timeline?: string }): Options {
  const top = Number(values.top ?? 15);
  if (!Number.isInteger(top) || top < 1)
    throw new TypeError(`${USAGE}; --top must be an integer ≥ 1, got \`${values.top}\``);
  const window = (values.window ?? `0,${Number.POSITIVE_INFINITY}`).split(',').map(Number);
  if (window.length !== 2 || window.some(Number.isNaN) || (window[0] as number) >= (window[1] as number)) {
    throw new TypeError(`${USAGE}; --window must be FROM,TO in ms with FROM < TO, got \`${values.window}\``);
  }
  const timelineMs = values.timeline === undefined ? undefined : Number(values.timeline);
  if (timelineMs !== undefined && !(timelineMs > 0)) {
    throw new TypeError(`${USAGE}; --timeline must be a number of ms > 0, got \`${values.timeline}\``);
  }
  return { top, window: window as [number, number], timelineMs };
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string' },
      window: { type: 'string' },
      timeline: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const dir = positionals[0];
  if (!dir) throw new TypeError(USAGE);
  const options = parseOptions(values);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  if (files.length === 0) throw new Error(`no .cpuprofile files in ${dir}`);
  for (const f of files) process.stdout.write(`${summarize(join(dir, f), options)}\n`);
}

try {
  main();
} catch (err) {
  // A bad option or folder: its message, not a stack trace (exit 2, as the CLI does for bad options).
  process.stderr.write(`profile-summary: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
