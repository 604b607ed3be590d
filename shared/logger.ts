/** The logging surface the core uses; Node passes pino or the console, pages their own sink. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The browser's default: the console's own levels (in Node, prefer the entry point's stderr logger). */
export const consoleLogger: Logger = {
  info: (m) => console.info(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

/** Drops every message: `new BaseManager({ ..., logger: silentLogger })`. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
