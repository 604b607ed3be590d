/**
 * The flags every command that serves CPython peers shares (`master
 * --python-listen`, `serve`): which globals may pass through, and how what
 * Python peers take is acknowledged.
 */
import { ConfigError } from '../../shared/errors.js';
import { type PythonAck, parsePythonAck } from './acknowledgement.js';
import { isGlobalPattern } from './pickle/policy.js';

export const PYTHON_SERVE_FLAGS = {
  'python-globals': { type: 'string' },
  'python-ack': { type: 'string' },
} as const;

export const PYTHON_SERVE_USAGE = `  --python-globals LIST comma-separated globals Python values may carry beyond the
                       built-in value types and the scripts' own classes: module.Name,
                       module.* or * (any: CPython's own trust in every peer)
  --python-ack MODE    lease (default: what a Python worker takes is redelivered if it
                       dies before putting a result or ending normally) or get
                       (CPython's consume-on-get: nothing is redelivered)`;

export interface PythonServeFlags {
  pythonGlobals?: string[];
  ack?: PythonAck;
}

export function pythonServeFlags(values: Record<string, unknown>): PythonServeFlags {
  const out: PythonServeFlags = {};
  const globals = values['python-globals'];
  if (typeof globals === 'string') {
    const patterns = globals
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    const bad = patterns.find((p) => !isGlobalPattern(p));
    if (bad !== undefined) {
      throw new ConfigError(`--python-globals takes module.Name, module.* or *, got ${JSON.stringify(bad)}`);
    }
    out.pythonGlobals = patterns;
  }
  const ack = values['python-ack'];
  if (typeof ack === 'string') out.ack = parsePythonAck(ack);
  return out;
}
