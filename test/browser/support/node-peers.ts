/** Node masters for the browser tests, through the library API (node/index.ts). */
import { BaseManager, Queue, silentLogger } from '../../../node/index.js';
import { type Jobs, randomTask } from '../../../shared/example.js';

export type { Jobs };

export interface NodeMaster {
  manager: BaseManager<Jobs>;
  taskQueue: Queue<number>;
  resultQueue: Queue<string>;
  authFailures: string[];
}

/** The distributed-process example's master: two queues, served to workers that know the authkey. */
export async function startNodeMaster(address: string, authkey: string): Promise<NodeMaster> {
  const taskQueue = new Queue<number>();
  const resultQueue = new Queue<string>();
  const manager = new BaseManager<Jobs>({ address, authkey, logger: silentLogger });
  manager.register('get_task_queue', () => taskQueue);
  manager.register('get_result_queue', () => resultQueue);
  const authFailures: string[] = [];
  manager.on((event) => {
    if (event.type === 'auth-failed') authFailures.push(event.reason);
  });
  await manager.start();
  return { manager, taskQueue, resultQueue, authFailures };
}

/** Collects `count` results, each within `timeoutSeconds`. */
export async function collect(master: NodeMaster, count: number, timeoutSeconds = 20): Promise<string[]> {
  const results: string[] = [];
  for (let i = 0; i < count; i++) results.push(await master.resultQueue.get({ timeout: timeoutSeconds }));
  return results;
}

/**
 * Takes results until each of `tasks` queue entries has one, keyed by the
 * entry it answers; a second answer to the same entry (a redelivered task
 * done twice) is counted in `duplicates`, not kept.
 */
export async function collectAnswers(
  master: NodeMaster,
  tasks: number,
  timeoutSeconds = 20,
): Promise<{ answered: Map<number, string>; duplicates: number }> {
  const answered = new Map<number, string>();
  let duplicates = 0;
  while (answered.size < tasks) {
    const entry = await master.resultQueue.getEntry({ timeout: timeoutSeconds });
    if (answered.has(entry.answers as number)) duplicates++;
    else answered.set(entry.answers as number, entry.value);
  }
  return { answered, duplicates };
}

export function randomTasks(count: number): number[] {
  return Array.from({ length: count }, randomTask);
}
