/**
 * Summarizes the CPU profiles that `run.js --cpu-prof DIR` leaves (one
 * `.cpuprofile` per master and worker process): for each process, how much
 * of its wall time was spent busy, and the functions with the most self time,
 * grouped by where they live (peerproc's own code, the msgpack codec, Node
 * internals, garbage collection, the native WebRTC binding's calls).
 *
 *   node dist/bench/profile-summary.js DIR [--top 15]
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

/** Self time in µs of each node id. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    // The delta before the next sample is the time this sample stood for.
    const us = profile.timeDeltas[i + 1] ?? 0;
    self.set(id, (self.get(id) ?? 0) + us);
  }
  return self;
}

function summarize(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfTimes(profile)) {
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
  const lines = [
    `## ${basename(file)}: ${(total / 1e6).toFixed(2)} s profiled, ${((busy * 100) / total).toFixed(0)} % busy (shares below are of the busy time)`,
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

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } });
  const dir = positionals[0];
  const top = Number(values.top ?? 15);
  if (!dir || !Number.isInteger(top) || top < 1) {
    throw new TypeError(`usage: profile-summary DIR [--top N]; got DIR \`${dir}\`, --top \`${values.top}\``);
  }
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  if (files.length === 0) throw new Error(`no .cpuprofile files in ${dir}`);
  for (const f of files) process.stdout.write(`${summarize(join(dir, f), top)}\n`);
}

main();
