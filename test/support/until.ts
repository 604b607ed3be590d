/** Waiting in tests for a condition that another process or a server makes true. */

/** Polls `check` every 50 ms until it holds; fails after `ms`, saying what was awaited. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return performance.now() - started;
}
