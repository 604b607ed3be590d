/** The README's TypeScript examples, as a test reads and runs them. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The README's address in its examples; a test substitutes its own server and nothing else. */
export const README_ADDRESS = 'ws://127.0.0.1:8080/jobs';

/** Every ```ts block of the README, in order. */
export function readmeTsBlocks(text = readFileSync(README, 'utf8')): string[] {
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

/** The master and the worker example (the blocks that call `start()` and `connect()`). */
export function readmeExamples(): { master: string; worker: string } {
  const blocks = readmeTsBlocks();
  const master = blocks.filter((b) => b.includes('.start()'));
  const worker = blocks.filter((b) => b.includes('.connect()'));
  if (master.length !== 1 || worker.length !== 1 || blocks.length !== 2) {
    throw new Error(`expected one master and one worker ts block in README.md, found ${blocks.length} blocks`);
  }
  return { master: master[0] as string, worker: worker[0] as string };
}
