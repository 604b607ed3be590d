/**
 * A TCP socket speaking CPython's framing: `send(payload)` writes one frame,
 * `receive(maxBytes)` resolves the next one. Reading pauses while nobody is
 * waiting for a frame, so a peer cannot make us buffer more than one frame
 * plus a socket read. `signal` aborts when the socket closes, which is how
 * pending queue waits learn that their caller is gone.
 */
import type { Socket } from 'node:net';
import { ConnectionClosedError } from '../../shared/errors.js';
import { CLOSE_FLUSH_MS } from './options.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  type FrameChannel,
  FrameDecoder,
  frameHeader,
  type SkippedFrame,
} from './wire/index.js';

/** Frames up to this size go out as one write (header + payload), as CPython does, avoiding a Nagle stall. */
const SINGLE_WRITE_MAX = 16 * 1024;
/** Bytes buffered ahead of demand before the socket is paused. */
const READ_AHEAD_BYTES = 64 * 1024;

interface PendingReceive {
  maxBytes: number;
  skipOversized: boolean;
  resolve(frame: Uint8Array | SkippedFrame): void;
  reject(err: Error): void;
}

export class FramedSocket implements FrameChannel {
  readonly socket: Socket;
  /** `host:port` of the peer, for log lines. */
  readonly remote: string;
  readonly maxFrameBytes: number;
  readonly #decoder: FrameDecoder;
  readonly #abort = new AbortController();
  #pending: PendingReceive | undefined;
  #closeReason: Error | undefined;
  #closedMidFrame = false;

  constructor(socket: Socket, options: { maxFrameBytes?: number } = {}) {
    this.socket = socket;
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#decoder = new FrameDecoder({ maxFrameBytes: this.maxFrameBytes });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#pump();
    });
    socket.on('error', (err) => this.#onClose(err));
    socket.on('close', () => this.#onClose());
    socket.on('end', () => this.#onClose());
  }

  /** Aborted once the connection is gone. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get closed(): boolean {
    return this.#closeReason !== undefined;
  }

  /** True when the peer went away after sending part of a frame (a truncated message). */
  get closedMidFrame(): boolean {
    return this.#closedMidFrame;
  }

  async send(payload: Uint8Array): Promise<void> {
    if (this.#closeReason) throw new ConnectionClosedError(`cannot send to ${this.remote}: connection closed`);
    const header = frameHeader(payload.length);
    let flushed: boolean;
    if (payload.length <= SINGLE_WRITE_MAX) {
      const frame = new Uint8Array(header.length + payload.length);
      frame.set(header, 0);
      frame.set(payload, header.length);
      flushed = this.socket.write(frame);
    } else {
      this.socket.write(header);
      flushed = this.socket.write(payload);
    }
    if (!flushed) await this.#drained();
  }

  receive(maxBytes: number = this.maxFrameBytes): Promise<Uint8Array> {
    return this.#receive(maxBytes, false) as Promise<Uint8Array>;
  }

  /**
   * The next frame, or, for a frame over `maxBytes`, a `SkippedFrame` once
   * all of it was dropped (never buffered): the connection stays in step, so
   * the caller can answer that the message was too large and carry on.
   */
  receiveOrSkip(maxBytes: number = this.maxFrameBytes): Promise<Uint8Array | SkippedFrame> {
    return this.#receive(maxBytes, true);
  }

  #receive(maxBytes: number, skipOversized: boolean): Promise<Uint8Array | SkippedFrame> {
    if (this.#pending) return Promise.reject(new Error('FramedSocket.receive called while a receive is pending'));
    return new Promise((resolve, reject) => {
      this.#pending = { maxBytes, skipOversized, resolve, reject };
      this.#pump();
    });
  }

  /** Closes now (pending writes are dropped). */
  close(): void {
    this.socket.destroy();
    this.#onClose();
  }

  /** Flushes what was sent (e.g. `#FAILURE#`), then closes; destroys anyway after a short grace period. */
  end(): void {
    this.#onClose();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_FLUSH_MS).unref();
  }

  #pump(): void {
    const pending = this.#pending;
    if (pending) {
      let frame: Uint8Array | SkippedFrame | undefined;
      try {
        frame = this.#decoder.next(pending.maxBytes, { skipOversized: pending.skipOversized });
      } catch (err) {
        this.#pending = undefined;
        pending.reject(err as Error);
        this.close();
        return;
      }
      if (frame) {
        this.#pending = undefined;
        pending.resolve(frame);
      } else if (this.#closeReason) {
        this.#pending = undefined;
        pending.reject(this.#closeReason);
        return;
      }
    }
    if (this.#closeReason) return;
    if (!this.#pending && this.#decoder.bufferedBytes >= READ_AHEAD_BYTES) this.socket.pause();
    else this.socket.resume();
  }

  #onClose(cause?: Error): void {
    if (this.#closeReason) return;
    this.#closedMidFrame = this.#decoder.midFrame;
    const truncated = this.#closedMidFrame ? ' in the middle of a frame' : '';
    this.#closeReason = new ConnectionClosedError(`connection to ${this.remote} closed${truncated}`, { cause });
    this.#abort.abort(this.#closeReason);
    this.#pump();
  }

  #drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        if (this.#closeReason) reject(this.#closeReason);
        else resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }
}
