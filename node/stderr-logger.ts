/**
 * The Node default logger: every level to stderr, so a program's stdout
 * carries only what the program itself prints.
 */
import type { Logger } from '../shared/logger.js';

export const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`${m}\n`),
  warn: (m) => process.stderr.write(`${m}\n`),
  error: (m) => process.stderr.write(`${m}\n`),
};
