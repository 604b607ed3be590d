/**
 * How a script of bench/experiments/ ends: exit 0 once `main` is done (the
 * WebRTC binding's threads would otherwise keep the process alive), or print
 * what failed, prefixed by the experiment's name, and exit 1.
 */
export function runExperiment(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${name}: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
