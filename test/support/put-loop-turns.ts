/**
 * How many local puts a long run makes before a 0 ms timer set at its start
 * gets to run (undefined: it never ran within the run): a put loop that never
 * lets the event loop turn would starve every peer.
 */
import type { Queue } from '../../shared/queue/queue.js';

export async function putsBeforeTimer(QueueClass: typeof Queue, maxPuts = 3_000_000): Promise<number | undefined> {
  const q = new QueueClass<number>();
  let timerRan = false;
  setTimeout(() => {
    timerRan = true;
  }, 0);
  for (let i = 0; i < maxPuts; i++) {
    await q.put(i);
    if (timerRan) return i;
  }
  return undefined;
}
