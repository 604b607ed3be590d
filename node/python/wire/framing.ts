/**
 * CPython's `multiprocessing.connection` framing: a 4-byte big-endian signed
 * length then the payload; payloads over 0x7fffffff bytes use -1 (ff ff ff ff)
 * followed by an 8-byte unsigned length. The decoder is incremental (feed it
 * whatever the transport delivers) and pull-based, so each frame can have its
 * own size limit (256 bytes during the handshake, much more afterwards).
 */
import { MessageTooLargeError, ProtocolError } from '../../../shared/errors.js';

/** Default limit on one frame: a 100 MiB task (which CPython carries) with room to spare. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;

/** Largest length the 4-byte header can hold; beyond it CPython switches to the 12-byte header. */
export const SHORT_LENGTH_MAX = 0x7fffffff;

const HEADER_BYTES = 4;
const EXTENDED_LENGTH_BYTES = 8;
/** The 4-byte header value announcing an 8-byte length. */
const EXTENDED_MARKER = -1;

const State = { HEADER: 0, EXTENDED_HEADER: 1, PAYLOAD: 2, FAILED: 3, SKIP: 4 } as const;
type State = (typeof State)[keyof typeof State];

/** The header for a payload of `length` bytes (4 bytes, or 12 beyond 0x7fffffff). */
export function frameHeader(length: number): Uint8Array {
  if (length <= SHORT_LENGTH_MAX) {
    const header = new Uint8Array(HEADER_BYTES);
    new DataView(header.buffer).setInt32(0, length, false);
    return header;
  }
  const header = new Uint8Array(HEADER_BYTES + EXTENDED_LENGTH_BYTES);
  const view = new DataView(header.buffer);
  view.setInt32(0, EXTENDED_MARKER, false);
  view.setUint32(4, Math.floor(length / 0x100000000), false);
  view.setUint32(8, length % 0x100000000, false);
  return header;
}

/** Header and payload in one buffer (for small frames: one write, no Nagle stall). */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const header = frameHeader(payload.length);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  return out;
}

export interface FrameDecoderOptions {
  /** Default limit for `next()` (default 256 MiB). */
  maxFrameBytes?: number;
}

/**
 * What `next(max, { skipOversized: true })` returns for a frame over the
 * limit once all of it has gone by: its bytes were dropped as they came
 * (never buffered), and the stream is in step again, so the sender can be
 * answered that its message was too large.
 */
export class SkippedFrame {
  readonly length: number;
  readonly maxBytes: number;

  constructor(length: number, maxBytes: number) {
    this.length = length;
    this.maxBytes = maxBytes;
  }

  get message(): string {
    return `frame of ${this.length} bytes exceeds the ${this.maxBytes}-byte limit`;
  }
}

export interface NextFrameOptions {
  /** Drop a frame over the limit instead of failing (after authentication: the peer is a real client). */
  skipOversized?: boolean;
}

export class FrameDecoder {
  readonly maxFrameBytes: number;
  readonly #chunks: Uint8Array[] = [];
  /** Bytes of the first chunk already consumed. */
  #offset = 0;
  #buffered = 0;
  #state: State = State.HEADER;
  #length = 0;
  /** While skipping an oversized frame: the bytes of it still to drop, and the limit it broke. */
  #skipLeft = 0;
  #skipLimit = 0;
  #failure: Error | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes received and not yet returned in a frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** True when bytes of an unfinished frame are held (a close now would truncate it). */
  get midFrame(): boolean {
    return this.#state !== State.HEADER || this.#buffered > 0;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /**
   * The next complete frame, or undefined until enough bytes arrive. A frame
   * announced larger than `maxBytes` throws `MessageTooLargeError` before any
   * of it is buffered beyond what already arrived; a negative length throws
   * `ProtocolError`. After an error the decoder stays failed.
   */
  next(maxBytes?: number): Uint8Array | undefined;
  next(maxBytes: number, options: NextFrameOptions): Uint8Array | SkippedFrame | undefined;
  next(maxBytes: number = this.maxFrameBytes, options: NextFrameOptions = {}): Uint8Array | SkippedFrame | undefined {
    if (this.#failure) throw this.#failure;
    try {
      if (this.#state === State.SKIP) return this.#skip();
      return this.#next(maxBytes, options.skipOversized === true);
    } catch (err) {
      this.#state = State.FAILED;
      this.#failure = err as Error;
      throw err;
    }
  }

  #next(maxBytes: number, skipOversized: boolean): Uint8Array | SkippedFrame | undefined {
    if (this.#state === State.HEADER) {
      if (this.#buffered < HEADER_BYTES) return undefined;
      const length = new DataView(copyOf(this.#read(HEADER_BYTES)).buffer).getInt32(0, false);
      if (length === EXTENDED_MARKER) {
        this.#state = State.EXTENDED_HEADER;
      } else if (length < 0) {
        throw new ProtocolError(`invalid frame length ${length}`);
      } else {
        this.#expect(length, maxBytes, skipOversized);
      }
    }
    if (this.#state === State.EXTENDED_HEADER) {
      if (this.#buffered < EXTENDED_LENGTH_BYTES) return undefined;
      const view = new DataView(copyOf(this.#read(EXTENDED_LENGTH_BYTES)).buffer);
      const high = view.getUint32(0, false);
      const low = view.getUint32(4, false);
      // Beyond 2**53 no limit can allow it; report it as too large without building a bigint.
      this.#expect(high >= 0x200000 ? Number.POSITIVE_INFINITY : high * 0x100000000 + low, maxBytes, skipOversized);
    }
    if (this.#state === State.SKIP) return this.#skip();
    if (this.#buffered < this.#length) return undefined;
    const payload = this.#read(this.#length);
    this.#state = State.HEADER;
    return payload;
  }

  #expect(length: number, maxBytes: number, skipOversized: boolean): void {
    if (length > maxBytes) {
      if (!skipOversized || !Number.isFinite(length)) {
        throw new MessageTooLargeError(`frame of ${length} bytes exceeds the ${maxBytes}-byte limit`);
      }
      this.#length = length;
      this.#skipLeft = length;
      this.#skipLimit = maxBytes;
      this.#state = State.SKIP;
      return;
    }
    this.#length = length;
    this.#state = State.PAYLOAD;
  }

  /** Drops what arrived of an oversized frame; its end resynchronises the stream. */
  #skip(): SkippedFrame | undefined {
    const drop = Math.min(this.#skipLeft, this.#buffered);
    if (drop > 0) this.#discard(drop);
    this.#skipLeft -= drop;
    if (this.#skipLeft > 0) return undefined;
    this.#state = State.HEADER;
    return new SkippedFrame(this.#length, this.#skipLimit);
  }

  /** Drops `n` buffered bytes without copying them. */
  #discard(n: number): void {
    this.#buffered -= n;
    let left = n;
    while (left > 0) {
      const chunk = this.#chunks[0] as Uint8Array;
      const take = Math.min(left, chunk.length - this.#offset);
      left -= take;
      this.#offset += take;
      if (this.#offset === chunk.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
  }

  /** Consumes `n` buffered bytes: a view when they sit in one chunk, else one copy. */
  #read(n: number): Uint8Array {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first && first.length - this.#offset >= n) {
      const out = first.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
      if (this.#offset === first.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0] as Uint8Array;
      const take = Math.min(n - filled, chunk.length - this.#offset);
      out.set(chunk.subarray(this.#offset, this.#offset + take), filled);
      filled += take;
      this.#offset += take;
      if (this.#offset === chunk.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    return out;
  }
}

/** A fresh copy, so a DataView over it starts at offset 0 of its own buffer. */
function copyOf(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes);
}
