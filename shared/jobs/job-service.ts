/**
 * The master's job, served to workers as `get_job`: its description and the
 * bundle. One instance per master; every worker's connection gets the same.
 */
import { bundleBytes, bundleSha256 } from './digest.js';
import { type JobDescription, MAX_JOB_NAME } from './protocol.js';

export interface JobBundle {
  /** The bundled ES module: one file, its imports inlined. */
  source: string;
  name: string;
}

export class JobService {
  readonly #source: string;
  readonly #description: JobDescription;

  /** `taskTimeout`: seconds, or null for no limit. */
  constructor(bundle: JobBundle, taskTimeout: number | null) {
    this.#source = bundle.source;
    this.#description = {
      name: bundle.name.slice(0, MAX_JOB_NAME),
      sha256: bundleSha256(bundle.source),
      bytes: bundleBytes(bundle.source),
      taskTimeout,
    };
  }

  describe(): JobDescription {
    return { ...this.#description };
  }

  source(): string {
    return this.#source;
  }
}
