/** The configurations the runner passes to its child processes (one JSON argument each). */
import type { BindingName } from '../../node/platform.js';

/** Environment variable carrying the authkey to the children (never argv, as a user would do). */
export const AUTHKEY_ENV = 'PEERPROC_AUTHKEY';

export interface MasterConfig {
  address: string;
  binding: BindingName;
}

export type WorkerConfig =
  | {
      /** The seed loop: `managers` connections in this process, each `get` -> `n * n = n²` -> `put`. */
      mode: 'loop';
      address: string;
      binding: BindingName;
      managers: number;
      /** Most connections this process opens at once (the rest wait their turn). */
      stage: number;
      /** Seconds of empty queue after which a manager that has done work stops (the classic `timeout=1`). */
      idleSeconds: number;
    }
  | {
      /** Connect, take one task, report the timings, exit. */
      mode: 'first-task';
      address: string;
      binding: BindingName;
    }
  | {
      /** `setups` fresh managers one after another: connect(), then shutdown(); reports each connect()'s ms. */
      mode: 'connects';
      address: string;
      binding: BindingName;
      setups: number;
    }
  | {
      /** RPC round trips and the large payload in both directions. */
      mode: 'probe';
      address: string;
      binding: BindingName;
      calls: number;
      payloadBytes: number;
    };

/** Timings a worker reports, all epoch ms (lib/clock.ts), from one process. */
export interface StartTimings {
  /** When the process began (Node's performance.timeOrigin). */
  processStart: number;
  /** The worker's code starts running: after Node's bootstrap and the imports (the WebRTC add-on). */
  mainAt: number;
  connectedAt: number;
  proxiesAt: number;
  firstTaskAt: number;
}

export interface ProbeReport {
  connectMs: number;
  /** A proxy `put` on a bounded queue: resolves once the master has the item (a round trip); after the JIT warm-up. */
  rpcPutUs: { p50: number; p99: number; count: number };
  /** The same, over the process's first calls (V8 still compiling the hot paths). */
  rpcPutColdUs: { p50: number; p99: number; count: number };
  /** A proxy `qsize()`: the plainest call there is. */
  rpcQsizeUs: { p50: number; p99: number; count: number };
  payload: { bytes: number; putMs: number; getMs: number; intact: boolean };
  rssMb: number;
}

export interface LoopReport {
  processed: number;
  /** How each manager's loop ended: 'empty', 'master-shutdown', 'connection-closed', or an error. */
  endings: Record<string, number>;
}

export interface ReadyReport {
  connected: number;
  failed: number;
  /** connect() plus two proxies, per manager, ms. */
  connectMs: number[];
  firstError?: string;
}

export interface RawConfig {
  binding: BindingName;
  calls: number;
  bytes: number;
}

export interface RawReport {
  rttUs: { p50: number; p99: number; count: number };
  /** The payload in 16 KiB messages (as peerproc sends it). */
  bulk: { bytes: number; chunkBytes: number; ms: number; MBps: number };
  /** The payload in 64 KiB messages, for comparison. */
  bulkLarge: { bytes: number; chunkBytes: number; ms: number; MBps: number };
}
