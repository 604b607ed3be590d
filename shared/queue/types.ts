/** The part of `AbortSignal` the queue needs (present in Node and browsers). */
export interface AbortLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface BlockingOptions {
  /** Wait for room/items (default true). */
  block?: boolean;
  /** Seconds to wait when blocking; `null`/`undefined` waits forever. */
  timeout?: number | null;
  /** Abandons the wait (used for callers whose connection went away). */
  signal?: AbortLike;
}
