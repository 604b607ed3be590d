/**
 * The tasks file and the results file: one JSON value per line. JSON has no
 * BigInt and no bytes, which the codec carries, so both directions use two
 * tagged objects: `{"$bigint": "123"}` and `{"$base64": "AAEC"}`.
 */
import { ConfigError } from '../errors.js';
import type { JobRecord } from './master-run.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return out;
}

export function fromBase64(text: string): Uint8Array | undefined {
  const clean = text.replace(/=+$/, '');
  if (/[^A-Za-z0-9+/]/.test(clean) || clean.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const ch of clean) {
    value = (value << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value instanceof Uint8Array) return { $base64: toBase64(value) };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const v = value as Record<string, unknown>;
    if (keys.length === 1 && typeof v.$bigint === 'string' && /^-?\d+$/.test(v.$bigint)) return BigInt(v.$bigint);
    if (keys.length === 1 && typeof v.$base64 === 'string') return fromBase64(v.$base64) ?? value;
  }
  return value;
}

/** One value as a JSON line (no newline), BigInt and bytes tagged. */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, replacer) ?? 'null';
}

/** A results-file line in the documented key order. */
export function recordLine(record: JobRecord): string {
  const ordered =
    record.error !== undefined
      ? { index: record.index, task: record.task, error: record.error, worker: record.worker }
      : { index: record.index, task: record.task, result: record.result ?? null, worker: record.worker };
  return toJsonLine(ordered);
}

/** Every non-blank line of a tasks file, parsed; `source` names the file in errors. */
export function parseTaskLines(text: string, source: string): unknown[] {
  const tasks: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    try {
      tasks.push(JSON.parse(line, reviver));
    } catch (err) {
      throw new ConfigError(
        `${source} line ${i + 1} is not a JSON value (${(err as Error).message}): ${line.slice(0, 80)}`,
      );
    }
  }
  return tasks;
}

/** Parses one results-file line back (for tests and tools). */
export function parseJsonLine(line: string): unknown {
  return JSON.parse(line, reviver);
}
