#!/usr/bin/env node
/**
 * The `peerproc` command: signal | master | worker | bridge | serve | demo.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../shared/errors.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './commands/common.js';
import { exitAfterFlush } from './exit-after-flush.js';
import { MissingPackageError, missingPackages } from './optional-packages.js';
import { outputLine } from './output.js';
import { packageManifest, packageRoot } from './package-manifest.js';

const USAGE = `Usage: peerproc <command> [options]

Commands:
  signal   run the signaling server           (peerproc signal --host 127.0.0.1 --port 8080)
  master   put tasks and collect results      (peerproc master --address ws://127.0.0.1:8080/jobs --authkey abc --tasks 10)
  worker   take tasks and return results      (peerproc worker --address ws://127.0.0.1:8080/jobs --authkey abc)
  bridge   serve a CPython master from a room (peerproc bridge --python-master 127.0.0.1:5000 --address ws://127.0.0.1:8080/jobs --authkey abc)
  serve    hold SyncManager objects (dict, list, Lock...) for JS peers and CPython clients
                                              (peerproc serve --python-listen 127.0.0.1:5000 --authkey abc)
  demo     run the whole example on this machine
  bundle   bundle a job module as a master serves it (peerproc bundle job.mjs > job.bundle.mjs)

  --version, -v   print the version

Run 'peerproc <command> --help' for a command's options.`;

/** The pages `npm run build` makes; `peerproc signal` serves them at /worker and /master unless told otherwise. */
const BUILT_PAGES = join(packageRoot(), 'web/dist');

function withBuiltPages(argv: string[]): string[] {
  const chosen =
    argv.some((a) => a === '--static-dir' || a.startsWith('--static-dir=')) || process.env.PEERPROC_SIGNAL_STATIC_DIR;
  return chosen || !existsSync(`${BUILT_PAGES}/worker.html`) ? argv : [...argv, '--static-dir', BUILT_PAGES];
}

const out = outputLine;

// Each command loads only what it needs: a worker's start-up time is part of its time to first task.
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'signal': {
      const { runSignalCommand, SIGNAL_USAGE } = await import('../signaling/index.js');
      if (rest.includes('--help') || rest.includes('-h')) {
        out(SIGNAL_USAGE);
        return EXIT_OK;
      }
      await runSignalCommand(withBuiltPages(rest), process.env);
      return EXIT_OK;
    }
    case 'master':
      return (await import('./commands/master.js')).runMaster(rest, out);
    case 'worker':
      return (await import('./commands/worker.js')).runWorker(rest, out);
    case 'bridge':
      return (await import('./commands/bridge.js')).runBridge(rest, out);
    case 'serve':
      return (await import('./commands/serve.js')).runServe(rest, out);
    case 'demo':
      return (await import('./commands/demo.js')).runDemo(rest, out);
    case '--version':
    case '-v':
      out(packageManifest().version);
      return EXIT_OK;
    case 'bundle':
      return (await import('./jobs/bundle-command.js')).runBundle(rest, out);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      out(USAGE);
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    default:
      process.stderr.write(`peerproc: unknown command ${JSON.stringify(command)}\n${USAGE}\n`);
      return EXIT_USAGE;
  }
}

/** The optional packages each command loads (optional-packages.ts), for the hint when one is missing. */
const COMMAND_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  signal: ['pino', 'ws'],
  master: ['node-datachannel', 'ws'],
  worker: ['node-datachannel', 'ws'],
  bridge: ['node-datachannel', 'ws'],
  demo: ['node-datachannel', 'pino', 'ws'],
};

const argv = process.argv.slice(2);
main(argv).then(
  (code) => exitAfterFlush(code),
  (err: unknown) => {
    // A Node-only package that is not installed: say which, with the npm line for this command's set.
    const missing = missingPackages(err).length > 0;
    const error = missing
      ? new MissingPackageError(COMMAND_PACKAGES[argv[0] ?? ''] ?? missingPackages(err), `peerproc ${argv[0]}`)
      : err instanceof Error
        ? err
        : new Error(String(err));
    process.stderr.write(`peerproc: ${error.name}: ${error.message}\n`);
    return exitAfterFlush(err instanceof ConfigError ? EXIT_USAGE : EXIT_FAILURE);
  },
);
