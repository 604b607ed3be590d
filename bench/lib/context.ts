/** What every section gets: the options, the signaling server, the authkey, and helpers to start children. */
import { randomBytes } from 'node:crypto';
import type { BindingName } from '../../node/platform.js';
import type { SignalingServer } from '../../signaling/index.js';
import {
  AUTHKEY_ENV,
  type MasterConfig,
  type RawConfig,
  type RawReport,
  type WorkerConfig,
} from '../node/children-config.js';
import { Child } from './children.js';
import type { BenchOptions } from './options.js';
import { MASTER_PROCESS, RAW_PROCESS, WORKER_PROCESS } from './paths.js';
import type { PythonInfo } from './python.js';

/** No benchmark child may live longer than this, whatever happens. */
export const CHILD_LIFETIME_MS = 10 * 60_000;

export interface Context {
  readonly options: BenchOptions;
  readonly signaling: SignalingServer;
  /** A fresh random authkey per run, handed to children through the environment. */
  readonly authkey: string;
  /** The CPython baseline's interpreter, or undefined when there is no python3. */
  readonly python: PythonInfo | undefined;
  progress(message: string): void;
  /** What failed during the run ("throughput W=2 #1: ..."); a failure leaves a gap, not a crash. */
  readonly failures: string[];
  /** Runs one measurement; on failure records it, prints it, and returns undefined. */
  attempt<T>(what: string, measure: () => Promise<T>): Promise<T | undefined>;
  /** Extra Node flags for every benchmark child (`--cpu-prof` and its folder with the runner's `--cpu-prof DIR`). */
  readonly execArgv: string[];
  /** A fresh room name for one scenario. */
  room(prefix: string): string;
  /** The master's address (signaling URL and a fresh room) for one scenario. */
  address(prefix: string): string;
}

let rooms = 0;
const room = (prefix: string): string => `bench-${prefix}-${process.pid}-${++rooms}`;

export function makeContext(
  options: BenchOptions,
  signaling: SignalingServer,
  python: PythonInfo | undefined,
  progress: (message: string) => void,
): Context {
  const failures: string[] = [];
  return {
    options,
    failures,
    async attempt(what, measure) {
      try {
        return await measure();
      } catch (err) {
        const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
        failures.push(message);
        progress(`  FAILED ${message}`);
        return undefined;
      }
    },
    signaling,
    authkey: randomBytes(16).toString('hex'),
    execArgv: options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`] : [],
    python,
    progress,
    room,
    address: (prefix) => signaling.wsUrl(room(prefix)),
  };
}

export function startMaster(ctx: Context, config: MasterConfig): Child {
  return new Child(MASTER_PROCESS, {
    label: `master (${config.binding})`,
    config,
    env: { [AUTHKEY_ENV]: ctx.authkey },
    // --expose-gc: memory figures are taken after a full collection.
    execArgv: ['--expose-gc', ...ctx.execArgv],
    lifetimeMs: CHILD_LIFETIME_MS,
  });
}

export function startWorker(ctx: Context, config: WorkerConfig, label: string): Child {
  return new Child(WORKER_PROCESS, {
    label,
    config,
    env: { [AUTHKEY_ENV]: ctx.authkey },
    execArgv: ctx.execArgv,
    lifetimeMs: CHILD_LIFETIME_MS,
  });
}

/** The bare binding's round trip and bulk rate (node/raw-process.ts): the floor under peerproc's figures. */
export async function rawFloor(ctx: Context, config: RawConfig): Promise<RawReport> {
  const child = new Child(RAW_PROCESS, {
    label: `raw ${config.binding}`,
    config,
    execArgv: ctx.execArgv,
    lifetimeMs: CHILD_LIFETIME_MS,
  });
  try {
    return await child.nextEvent<RawReport>('raw', 120_000);
  } finally {
    await child.waitExit(10_000);
  }
}

/** Ends a scenario: asks the master to shut down (its workers then leave), then makes sure everyone is gone. */
export async function endScenario(master: Child, workers: readonly Child[]): Promise<void> {
  await master.request('stop', null, 15_000).catch(() => {});
  await Promise.all([master, ...workers].map((child) => child.waitExit(15_000)));
}

export type { BindingName };
