/**
 * Stand-alone entry (`node dist/signaling/main.js [options]`), used by the
 * Docker image, the systemd unit and the CLI tests. `peerproc signal` in
 * node/cli.ts calls the same `runSignalCommand`.
 */
import { runSignalCommand } from './cli.js';
import { ConfigError } from './errors.js';

/** Exit status for bad options, as most command-line tools use for usage errors. */
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

runSignalCommand(process.argv.slice(2), process.env).then(
  () => {
    process.exitCode = 0;
  },
  (err: unknown) => {
    process.stderr.write(`peerproc signal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof ConfigError ? EXIT_USAGE : EXIT_FAILURE;
  },
);
