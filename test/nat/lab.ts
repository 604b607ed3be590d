/**
 * Drives scripts/nat-lab.sh for the NAT-traversal test: brings the lab up,
 * spawns processes inside its namespaces (public, cgnat, a, b), reads the
 * guard counters and tears everything down.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const LAB_SCRIPT = fileURLToPath(new URL('../../scripts/nat-lab.sh', import.meta.url));
/** The built CLI (npm test builds it first). */
export const CLI = fileURLToPath(new URL('../../dist/bundle/cli.js', import.meta.url));

export type Namespace = 'public' | 'cgnat' | 'a' | 'b';

/** Settings from the environment that would point peers at other ICE or TURN servers: never inherited. */
const FOREIGN_SETTINGS = [
  'PEERPROC_ICE_SERVERS',
  'PEERPROC_SIGNAL_ICE_SERVERS',
  'PEERPROC_TURN_SECRET',
  'PEERPROC_TURN_URLS',
  'PEERPROC_ACCESS_TOKEN',
];

function labEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of FOREIGN_SETTINGS) delete env[name];
  return env;
}

export interface Line {
  text: string;
  /** performance.now() when the line arrived. */
  at: number;
}

/** A process in the lab, its output collected line by line with arrival times. */
export class LabProcess {
  readonly child: ChildProcess;
  readonly startedAt = performance.now();
  readonly stdout: Line[] = [];
  readonly stderr: Line[] = [];
  readonly exited: Promise<number | null>;
  #exitedAt: number | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(command: string, args: string[], stdin: 'ignore' | 'pipe' = 'ignore') {
    this.child = spawn(command, args, { env: labEnv(), stdio: [stdin, 'pipe', 'pipe'] });
    this.#collect(this.child.stdout, this.stdout);
    this.#collect(this.child.stderr, this.stderr);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => {
        this.#exitedAt = performance.now();
        resolve(code);
      });
    });
  }

  #collect(stream: NodeJS.ReadableStream | null, sink: Line[]): void {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const at = performance.now();
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const text of parts) sink.push({ text, at });
      for (const wake of [...this.#waiters]) wake();
    });
  }

  /** performance.now() at exit (once exited). */
  get exitedAt(): number | undefined {
    return this.#exitedAt;
  }

  /** Milliseconds from spawn to exit (once exited). */
  get runMs(): number | undefined {
    return this.#exitedAt === undefined ? undefined : this.#exitedAt - this.startedAt;
  }

  text(stream: 'stdout' | 'stderr' = 'stderr'): string {
    return this[stream].map((l) => l.text).join('\n');
  }

  /** The first line of `stream` matching `pattern`, waiting up to `timeoutMs` for it. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 15_000): Promise<Line> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = this[stream].find((l) => pattern.test(l.text));
        if (!line) return false;
        done();
        resolve(line);
        return true;
      };
      const fail = (why: string): void => {
        done();
        reject(
          new Error(
            `no ${stream} line matching ${pattern} ${why} (${this.child.spawnargs.join(' ')})\n` +
              `stdout:\n${this.text('stdout')}\nstderr:\n${this.text('stderr')}`,
          ),
        );
      };
      const timer = setTimeout(() => fail(`within ${timeoutMs} ms`), timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      const wake = (): void => void check();
      if (check()) return;
      this.#waiters.add(wake);
      void this.exited.then((code) => {
        if (this.#waiters.has(wake) && !check()) fail(`before it exited with ${code}`);
      });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** The lab: namespaces held by a running `nat-lab.sh up`, torn down when its stdin closes. */
export class NatLab {
  readonly #dir: string;
  readonly #script: LabProcess;
  readonly #processes: LabProcess[] = [];

  private constructor(dir: string) {
    this.#dir = dir;
    this.#script = new LabProcess('bash', [LAB_SCRIPT, 'up', dir], 'pipe');
  }

  static async start(dir: string): Promise<NatLab> {
    const lab = new NatLab(dir);
    await lab.#script.waitFor('stdout', /^nat-lab: ready /, 10_000);
    return lab;
  }

  /** Spawns `command args` inside namespace `ns`. */
  spawn(ns: Namespace, command: string, args: string[]): LabProcess {
    // nat-lab.sh exec ends in nsenter exec'ing the command: signals reach it directly.
    const proc = new LabProcess('bash', [LAB_SCRIPT, 'exec', this.#dir, ns, command, ...args]);
    this.#processes.push(proc);
    return proc;
  }

  /** Runs `peerproc args` (the built CLI) inside namespace `ns`. */
  peerproc(ns: Namespace, args: string[]): LabProcess {
    return this.spawn(ns, process.execPath, [CLI, ...args]);
  }

  /** Every guard counter of the lab ("ns/counter" -> packets dropped). */
  async guards(): Promise<Record<string, number>> {
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)('bash', [LAB_SCRIPT, 'guards', this.#dir]));
    } catch (err) {
      // Exit 1 means a counter is not 0: still report them all.
      stdout = (err as { stdout?: string }).stdout ?? '';
      if (!stdout) throw err;
    }
    const counters: Record<string, number> = {};
    for (const line of stdout.trim().split('\n')) {
      const [name, packets] = line.split(' ');
      if (name) counters[name] = Number(packets);
    }
    return counters;
  }

  /** Kills every process started in the lab, then takes the lab down (namespaces, links, rules). */
  async stop(): Promise<void> {
    for (const proc of this.#processes) proc.kill();
    await Promise.all(this.#processes.map((p) => p.exited));
    this.#script.child.stdin?.end();
    const timer = setTimeout(() => this.#script.kill(), 10_000);
    await this.#script.exited;
    clearTimeout(timer);
  }
}
