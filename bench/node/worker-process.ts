/**
 * A benchmark worker process: one or many worker managers, written against
 * peerproc's public API exactly as a user would (connect, two proxies, the
 * classic loop). Started by the runner with an IPC channel; reports through
 * events (lib/ipc.ts) and exits when its work is done.
 */
import { BaseManager, ConnectionClosedError, Empty, type Logger, loadPlatform, PeerShutdownError } from 'peerproc';
import { epochMs } from '../lib/clock.js';
import { childConfig, describe, emit } from '../lib/ipc.js';
import { latency } from '../lib/stats.js';
import {
  AUTHKEY_ENV,
  type LoopReport,
  type ProbeReport,
  type ReadyReport,
  type StartTimings,
  type WorkerConfig,
} from './children-config.js';
import { type Jobs, makePayload, payloadIntact, square, TYPEIDS } from './workload.js';

const mainAt = epochMs();

/** A manager that never got a task gives up after this long (the others may still be connecting). */
const FIRST_TASK_WAIT_SECONDS = 120;
/** Seconds a worker waits for the signaling server and the master. */
const CONNECT_WAIT_SECONDS = 60;
/** RPC calls made before the first timed ones, so the connection itself is warm. */
const WARMUP_CALLS = 200;
/**
 * Calls made between the cold and the warm measurement. A fresh process's
 * first ten thousand or so calls have a tail of 1-6 ms stalls while V8
 * compiles the hot paths (its compiler threads share the two cores with both
 * peers); after that the tail is the channel's own. Measured here: p99 1.3 ms
 * after 300 calls, 0.25 ms after 20,000; waiting 3 s instead changes nothing.
 */
const JIT_WARMUP_CALLS = 20_000;

/** Warnings go to stderr, which the runner keeps (the last lines) for its error messages. */
const logger: Logger = {
  info: () => {},
  warn: (m) => process.stderr.write(`${m}\n`),
  error: (m) => process.stderr.write(`${m}\n`),
};

const config = childConfig<WorkerConfig>();
const authkey = process.env[AUTHKEY_ENV] ?? '';

async function newWorker(): Promise<BaseManager<Jobs>> {
  const manager = new BaseManager<Jobs>({
    address: config.address,
    authkey,
    wait: CONNECT_WAIT_SECONDS,
    platform: await loadPlatform(config.binding),
    logger,
  });
  for (const typeid of TYPEIDS) manager.register(typeid);
  return manager;
}

/** The classic task_worker.py loop. Returns how it ended. */
async function seedLoop(manager: BaseManager<Jobs>, idleSeconds: number, counter: { processed: number }) {
  const task = await manager.get_task_queue();
  const result = await manager.get_result_queue();
  let done = 0;
  for (;;) {
    let n: number;
    try {
      n = await task.get({ timeout: done > 0 ? idleSeconds : FIRST_TASK_WAIT_SECONDS });
    } catch (err) {
      if (err instanceof Empty) return 'empty';
      if (err instanceof PeerShutdownError) return 'master-shutdown';
      if (err instanceof ConnectionClosedError) return 'connection-closed';
      throw err;
    }
    try {
      await result.put(square(n));
    } catch (err) {
      if (err instanceof PeerShutdownError) return 'master-shutdown';
      throw err;
    }
    done++;
    counter.processed++;
  }
}

async function runLoop(cfg: Extract<WorkerConfig, { mode: 'loop' }>): Promise<void> {
  const ready: ReadyReport = { connected: 0, failed: 0, connectMs: [] };
  const counter = { processed: 0 };
  const endings: Record<string, number> = {};
  const loops: Promise<void>[] = [];
  const managers: BaseManager<Jobs>[] = [];
  let next = 0;
  const connectOne = async (): Promise<void> => {
    while (next < cfg.managers) {
      next++;
      const started = performance.now();
      const manager = await newWorker();
      managers.push(manager);
      try {
        await manager.connect();
      } catch (err) {
        ready.failed++;
        ready.firstError ??= describe(err);
        continue;
      }
      ready.connected++;
      ready.connectMs.push(performance.now() - started);
      emit('connected', ready.connected);
      loops.push(
        seedLoop(manager, cfg.idleSeconds, counter).then(
          (ending) => {
            endings[ending] = (endings[ending] ?? 0) + 1;
          },
          (err: unknown) => {
            const key = describe(err);
            endings[key] = (endings[key] ?? 0) + 1;
          },
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(cfg.stage, cfg.managers) }, connectOne));
  emit('ready', ready);
  await Promise.all(loops);
  await Promise.all(managers.map((m) => m.shutdown().catch(() => {})));
  emit('done', { processed: counter.processed, endings } satisfies LoopReport);
}

async function runFirstTask(): Promise<void> {
  const manager = await newWorker();
  await manager.connect();
  const connectedAt = epochMs();
  const task = await manager.get_task_queue();
  await manager.get_result_queue();
  const proxiesAt = epochMs();
  const n = await task.get({ timeout: FIRST_TASK_WAIT_SECONDS });
  const firstTaskAt = epochMs();
  if (typeof n !== 'number') throw new Error(`first task is not a number: ${String(n)}`);
  const timings: StartTimings = { processStart: performance.timeOrigin, mainAt, connectedAt, proxiesAt, firstTaskAt };
  emit('timing', timings);
  await manager.shutdown();
}

/** Sequential fresh connections to one master, as workers joining one after another see them. */
async function runConnects(cfg: Extract<WorkerConfig, { mode: 'connects' }>): Promise<void> {
  const connectMs: number[] = [];
  for (let i = 0; i < cfg.setups; i++) {
    const manager = await newWorker();
    const started = performance.now();
    await manager.connect();
    connectMs.push(performance.now() - started);
    await manager.shutdown();
  }
  emit('connects', connectMs);
}

async function runProbe(cfg: Extract<WorkerConfig, { mode: 'probe' }>): Promise<void> {
  const manager = await newWorker();
  const started = performance.now();
  await manager.connect();
  await manager.get_task_queue();
  await manager.get_result_queue();
  const connectMs = performance.now() - started;

  const rpc = await manager.get_rpc_queue();
  const timePuts = async (count: number) => {
    const us: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await rpc.put(i);
      us.push((performance.now() - t0) * 1000);
    }
    return us;
  };
  for (let i = 0; i < WARMUP_CALLS; i++) await rpc.put(i);
  const coldSamples = await timePuts(cfg.calls);
  for (let i = 0; i < JIT_WARMUP_CALLS; i++) await rpc.put(i);
  const samples = await timePuts(cfg.calls);

  const qsizeSamples: number[] = [];
  for (let i = 0; i < cfg.calls; i++) {
    const t0 = performance.now();
    await rpc.qsize();
    qsizeSamples.push((performance.now() - t0) * 1000);
  }

  const down = await manager.get_payload_down();
  const up = await manager.get_payload_up();
  let t0 = performance.now();
  const received = await down.get({ timeout: 60 });
  const getMs = performance.now() - t0;
  const intact = payloadIntact(received, cfg.payloadBytes);
  const outgoing = intact ? (received as Uint8Array) : makePayload(cfg.payloadBytes);
  t0 = performance.now();
  await up.put(outgoing);
  const putMs = performance.now() - t0;

  const report: ProbeReport = {
    connectMs,
    rpcPutUs: latency(samples),
    rpcPutColdUs: latency(coldSamples),
    rpcQsizeUs: latency(qsizeSamples),
    payload: { bytes: cfg.payloadBytes, putMs, getMs, intact },
    rssMb: process.memoryUsage.rss() / 2 ** 20,
  };
  emit('probe', report);
  await manager.shutdown();
}

async function main(): Promise<void> {
  process.on('disconnect', () => process.exit(1));
  switch (config.mode) {
    case 'loop':
      return runLoop(config);
    case 'first-task':
      return runFirstTask();
    case 'connects':
      return runConnects(config);
    case 'probe':
      return runProbe(config);
  }
}

/** Exits once the last IPC message is out (native WebRTC threads would keep the process alive). */
function exit(code: number): void {
  if (process.send && process.connected) process.send({ event: 'exit', data: code }, () => process.exit(code));
  else process.exit(code);
}

main().then(
  () => exit(0),
  (err: unknown) => {
    emit('failed', describe(err));
    process.stderr.write(`worker process: ${describe(err)}\n`);
    exit(1);
  },
);
