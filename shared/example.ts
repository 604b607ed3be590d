/**
 * The worked example every part of peerproc runs, Python's task_master.py and
 * task_worker.py: the master puts random integers in 0..MAX_TASK on
 * `get_task_queue`; a worker answers each with `n * n = n²` on
 * `get_result_queue`; the master prints each result. The CLI (master, worker,
 * its Python commands), the pages, the benchmark and the tests all use this
 * one module, so the text and its checks cannot drift apart.
 */
import type { Queue } from './queue/queue.js';

/** The example's registry, as masters serve it and workers use it. */
export interface Jobs {
  get_task_queue: Queue<number>;
  get_result_queue: Queue<string>;
}

export const JOB_TYPEIDS = ['get_task_queue', 'get_result_queue'] as const satisfies readonly (keyof Jobs)[];

/** Tasks are random integers in 0..MAX_TASK, as in task_master.py's `random.randint(0, 10000)`. */
export const MAX_TASK = 10_000;

export function randomTask(): number {
  return Math.floor(Math.random() * (MAX_TASK + 1));
}

/**
 * What a worker returns for task n: task_worker.py's `'%d * %d = %d' % (n, n, n*n)`.
 * Exact for any integer (BigInt beyond 2^53, as Python's ints are).
 */
export function squareText(n: unknown): string {
  if (typeof n === 'bigint') return `${n} * ${n} = ${n * n}`;
  if (typeof n === 'number' && Number.isInteger(n) && !Number.isSafeInteger(n * n)) {
    const big = BigInt(n);
    return `${n} * ${n} = ${big * big}`;
  }
  const x = n as number;
  return `${x} * ${x} = ${x * x}`;
}

const RESULT_PATTERN = /^(-?\d+) \* (-?\d+) = (-?\d+)$/;

/** Parses `n * n = square`; undefined if the text is not of that form. */
export function parseResult(text: string): { n: number; square: string } | undefined {
  const match = RESULT_PATTERN.exec(text);
  if (!match || match[1] !== match[2]) return undefined;
  return { n: Number(match[1]), square: match[3] };
}

/** True when `text` is the correct result for task `n`. */
export function isCorrectResult(text: string, n: number): boolean {
  return text === squareText(n);
}

/** The lines of the transcripts, as the Python scripts print them. */
export const transcript = {
  putTask: (n: unknown) => `Put task ${String(n)}...`,
  result: (text: string) => `Result: ${text}`,
  runTask: (n: unknown) => `run task ${String(n)} * ${String(n)}...`,
};

/** Counts the tasks put, then ticks each result off; anything unexpected or beyond its task is counted as bad. */
export class ResultChecker {
  readonly #outstanding = new Map<number, number>();
  #checked = 0;
  #bad = 0;

  expect(n: number): void {
    this.#outstanding.set(n, (this.#outstanding.get(n) ?? 0) + 1);
  }

  check(result: unknown): boolean {
    const parsed = typeof result === 'string' ? parseResult(result) : undefined;
    const left = parsed ? (this.#outstanding.get(parsed.n) ?? 0) : 0;
    if (!parsed || left === 0 || !isCorrectResult(result as string, parsed.n)) {
      this.#bad++;
      return false;
    }
    if (left === 1) this.#outstanding.delete(parsed.n);
    else this.#outstanding.set(parsed.n, left - 1);
    this.#checked++;
    return true;
  }

  get checked(): number {
    return this.#checked;
  }

  get bad(): number {
    return this.#bad;
  }

  /** Tasks put and not answered yet. */
  get missing(): number {
    let count = 0;
    for (const left of this.#outstanding.values()) count += left;
    return count;
  }
}

/**
 * Checks a master's transcript (`Put task N...` and `Result: ...` lines, from
 * `peerproc master` or task_master.py): every result is the square of a task
 * that was put, and each task was answered once. Throws, naming both lists, if not.
 */
export function checkTranscript(lines: readonly string[]): { tasks: number[]; results: string[] } {
  const tasks = lines.flatMap((l) => /^Put task (\d+)\.\.\.$/.exec(l)?.[1] ?? []).map(Number);
  const results = lines.flatMap((l) => /^Result: (.*)$/.exec(l)?.[1] ?? []);
  const checker = new ResultChecker();
  for (const n of tasks) checker.expect(n);
  for (const text of results) checker.check(text);
  if (checker.bad > 0 || checker.missing > 0) {
    throw new Error(`results do not match tasks:\ntasks ${tasks.join(', ')}\nresults ${results.join(' | ')}`);
  }
  return { tasks, results };
}
