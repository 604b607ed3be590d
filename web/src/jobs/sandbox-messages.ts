/**
 * Messages between the worker page and its job sandbox (an opaque-origin
 * iframe): the page hands over the bundle and tasks; the sandbox answers with
 * outcomes. The page checks every message it gets (the sandbox runs code
 * from the network).
 */
import type { JobErrorInfo } from '../../../shared/jobs/protocol.js';

export type ToSandbox =
  | { type: 'start'; source: string; size: number; timeoutSeconds: number | null }
  | { type: 'run'; id: number; task: unknown };

export type FromSandbox =
  | { type: 'hello' }
  | { type: 'ready' }
  | { type: 'load-error'; message: string }
  | { type: 'outcome'; id: number; result?: unknown; error?: JobErrorInfo }
  | { type: 'broken'; message: string };

/** Messages inside the sandbox, between it and its Web Workers. */
export type ToRunner = { type: 'load'; source: string } | { type: 'run'; id: number; task: unknown };
export type FromRunner =
  | { type: 'ready' }
  | { type: 'load-error'; message: string }
  | { type: 'outcome'; id: number; result?: unknown; error?: JobErrorInfo };
