/**
 * The real `peerproc` CLI as a child process, for the CPython interoperability
 * tests: the shared helpers of test/support/processes.ts, under the names these
 * tests use, plus a worker-transcript reader.
 */
export {
  checkTranscript as checkMasterTranscript,
  killAll as killAllCli,
  peerproc,
  type Run as CliRun,
} from '../support/processes.js';

/** `run task N * N...` lines of a worker transcript. */
export function tasksRun(text: string | readonly string[]): number[] {
  const lines = typeof text === 'string' ? text.split('\n') : text;
  return lines.flatMap((l) => /^run task (\d+) \* \d+\.\.\.$/.exec(l)?.[1] ?? []).map(Number);
}
