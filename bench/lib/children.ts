/**
 * The runner's side of its child processes: start them with an IPC channel,
 * send requests with a timeout, wait for their events with a timeout, and
 * kill every one of them when a section ends, fails, or the runner exits.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { epochMs } from './clock.js';
import type { EventMessage, Reply } from './ipc.js';

/** Every process this run started and has not seen exit. */
const live = new Set<ChildProcess>();

/** Records a child so that `killAllChildren` ends it. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** SIGKILLs every child still running (synchronous: usable from an 'exit' handler). */
export function killAllChildren(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

let hooked = false;
/** Kills every child on exit, Ctrl-C and SIGTERM. */
export function installCleanup(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAllChildren();
      process.exit(130);
    });
  }
}

/** Last lines of a child's stderr, kept for error messages. */
const STDERR_TAIL_LINES = 15;

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  /** Shown in error messages ("worker 3"). */
  label: string;
  /** JSON-able configuration, passed as the single argument. */
  config: unknown;
  env?: Record<string, string>;
  execArgv?: string[];
  /** Hard limit on the child's life: SIGKILLed after this many ms whatever it is doing. */
  lifetimeMs: number;
}

interface Waiter {
  resolve(data: unknown): void;
  reject(err: Error): void;
}

/** A Node child process of the benchmark (bench/node/*-process.ts). */
export class Child {
  readonly label: string;
  readonly process: ChildProcess;
  /** Epoch ms just before the process was created. */
  readonly spawnedAt: number;
  readonly exited: Promise<ExitStatus>;
  readonly stderrTail: string[] = [];
  #nextId = 1;
  readonly #pending = new Map<number, Waiter>();
  readonly #events = new Map<string, unknown[]>();
  readonly #eventWaiters = new Map<string, Waiter[]>();
  #exitStatus: ExitStatus | undefined;

  constructor(module: string, options: ChildOptions) {
    this.label = options.label;
    this.spawnedAt = epochMs();
    this.process = fork(module, [JSON.stringify(options.config)], {
      env: { ...process.env, ...options.env },
      execArgv: options.execArgv ?? [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    track(this.process);
    const lifetime = setTimeout(() => this.kill(), options.lifetimeMs);
    lifetime.unref();
    if (this.process.stderr) {
      createInterface({ input: this.process.stderr }).on('line', (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      });
    }
    this.process.on('message', (raw) => this.#onMessage(raw as Reply | EventMessage));
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        clearTimeout(lifetime);
        this.#exitStatus = { code, signal };
        const err = new Error(`${this.label} exited (${signal ?? `code ${code}`})${this.#stderrSummary()}`);
        for (const waiter of this.#pending.values()) waiter.reject(err);
        this.#pending.clear();
        for (const waiters of this.#eventWaiters.values()) for (const waiter of waiters) waiter.reject(err);
        this.#eventWaiters.clear();
        resolve({ code, signal });
      });
    });
  }

  #stderrSummary(): string {
    return this.stderrTail.length ? `; stderr: ${this.stderrTail.slice(-5).join(' | ')}` : '';
  }

  #onMessage(message: Reply | EventMessage): void {
    if ('event' in message) {
      const waiters = this.#eventWaiters.get(message.event);
      const waiter = waiters?.shift();
      if (waiter) waiter.resolve(message.data);
      else {
        const queued = this.#events.get(message.event) ?? [];
        queued.push(message.data);
        this.#events.set(message.event, queued);
      }
      return;
    }
    const waiter = this.#pending.get(message.id);
    if (!waiter) return;
    this.#pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(`${this.label}: ${message.error}`));
  }

  #dead(): Error | undefined {
    const status = this.#exitStatus;
    return status && new Error(`${this.label} already exited (${status.signal ?? `code ${status.code}`})`);
  }

  /** Sends a command; rejects after `timeoutMs`, or when the child fails it or exits. */
  request<T>(cmd: string, args: unknown, timeoutMs: number): Promise<T> {
    const dead = this.#dead();
    if (dead) return Promise.reject(dead);
    const id = this.#nextId++;
    return withTimeout(
      new Promise<T>((resolve, reject) => {
        this.#pending.set(id, { resolve: resolve as (data: unknown) => void, reject });
        this.process.send({ id, cmd, args });
      }),
      timeoutMs,
      () => {
        this.#pending.delete(id);
        return `${this.label}: '${cmd}' took longer than ${timeoutMs} ms${this.#stderrSummary()}`;
      },
    );
  }

  /** The next `event` from the child (events are queued until asked for). */
  nextEvent<T>(event: string, timeoutMs: number): Promise<T> {
    const queued = this.#events.get(event);
    if (queued?.length) return Promise.resolve(queued.shift() as T);
    const dead = this.#dead();
    if (dead) return Promise.reject(dead);
    let waiter: Waiter | undefined;
    return withTimeout(
      new Promise<T>((resolve, reject) => {
        waiter = { resolve: resolve as (data: unknown) => void, reject };
        const waiters = this.#eventWaiters.get(event) ?? [];
        waiters.push(waiter);
        this.#eventWaiters.set(event, waiters);
      }),
      timeoutMs,
      () => {
        const waiters = this.#eventWaiters.get(event);
        if (waiters && waiter) waiters.splice(waiters.indexOf(waiter), 1);
        return `${this.label}: no '${event}' within ${timeoutMs} ms${this.#stderrSummary()}`;
      },
    );
  }

  /** Waits for the exit; SIGKILLs the child if it has not exited within `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<ExitStatus> {
    try {
      return await withTimeout(this.exited, timeoutMs, () => `${this.label} did not exit within ${timeoutMs} ms`);
    } catch {
      this.kill();
      return this.exited;
    }
  }

  kill(): void {
    if (this.#exitStatus) return;
    try {
      this.process.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/** Runs a command to completion (SIGKILL after `timeoutMs`), collecting its output. */
export function runCommand(
  command: string,
  args: readonly string[],
  { timeoutMs, env }: { timeoutMs: number; env?: Record<string, string> },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** A long-running process of a section (a signaling node, a redis-server), started and stopped by it. */
export interface Service {
  readonly label: string;
  readonly child: ChildProcess;
  /** The first stdout line that matched the readiness pattern. */
  readonly readyLine: string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns `command` and resolves once a stdout line matches `ready`; rejects (and kills it) after `timeoutMs`. */
export function startService(
  label: string,
  command: string,
  args: readonly string[],
  ready: RegExp,
  timeoutMs: number,
): Promise<Service> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const tail: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (graceMs = 5_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new TimeoutError(`${label} not ready within ${timeoutMs} ms: ${tail.join(' | ')}`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (!ready.test(line)) return;
      clearTimeout(timer);
      lines.close();
      child.stdout.resume();
      resolve({ label, child, readyLine: line, stop });
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${label}: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited before it was ready (${signal ?? `code ${code}`}): ${tail.join(' | ')}`));
    });
  });
}
