/**
 * peerproc for Node: the shared public API (shared/index.ts) with Node's
 * WebRTC binding filled in, plus the CPython interop.
 *
 *   import { BaseManager, Queue } from 'peerproc';
 */
export * from '../shared/index.js';
// Jobs in Node: bundle a job module as a master serves it, and run a master's job in worker threads.
export {
  bundleJob,
  closeJobPools,
  type LocalJob,
  registerJobWorker,
  type WorkJobOptions,
  workJob,
} from './jobs/work-job.js';
export { JOURNAL_ERROR_CODES, JournalError } from './journal/errors.js';
export { type OpenJournalOptions, type RunIdentity, RunJournal } from './journal/run-journal.js';
export { BaseManager, type NodeManagerOptions, SyncManager } from './manager.js';
export { MissingPackageError } from './optional-packages.js';
export { loadPlatform } from './platform.js';
// CPython interoperability (TCP): serve a master to Python workers, work for or bridge a Python master.
export {
  type BridgeStats,
  PythonBridge,
  type PythonBridgeOptions,
  PythonManagerClient,
  type PythonManagerClientOptions,
  PythonManagerServer,
  type PythonManagerServerOptions,
  PythonProxy,
  type ServePythonOptions,
  servePython,
} from './python/index.js';
export { stderrLogger } from './stderr-logger.js';
