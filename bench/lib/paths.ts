/** Where things are, from the compiled file (dist/bench/lib/paths.js) up to the project root. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The project root (the folder holding package.json). */
export const ROOT = resolve(here, '../../..');
/** The compiled child processes the runner starts. */
export const MASTER_PROCESS = resolve(here, '../node/master-process.js');
export const WORKER_PROCESS = resolve(here, '../node/worker-process.js');
export const RAW_PROCESS = resolve(here, '../node/raw-process.js');
/** The compiled stand-alone signaling server (`peerproc signal` without the rest of the CLI). */
export const SIGNALING_MAIN = resolve(here, '../../signaling/main.js');
/** The CPython baseline (not compiled: run as is). */
export const BASELINE_PY = resolve(ROOT, 'bench/python/baseline.py');
/** The timed classic worker of the --python-listen section, and the classic master it is compared with. */
export const LISTEN_WORKER_PY = resolve(ROOT, 'bench/python/listen_worker.py');
export const CLASSIC_MASTER_PY = resolve(ROOT, 'test/python/fixtures/task_master_n.py');
/** The built CLI (`peerproc master --python-listen`). */
export const CLI_JS = resolve(ROOT, 'dist/bundle/cli.js');
/** The built web pages (by the web/ build); the browser section needs web/dist/worker.html. */
export const WEB_DIST = resolve(ROOT, 'web/dist');
export const RESULTS_DIR = resolve(ROOT, 'bench/results');

export function webWorkerPageBuilt(): boolean {
  return existsSync(resolve(WEB_DIST, 'worker.html'));
}
