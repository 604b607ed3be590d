/**
 * Framing on a data channel: every frame is at most 16 KiB (the size every
 * WebRTC stack accepts; browsers allow 256 KiB, others 16 KiB).
 *
 *   BATCH  [0x01][one or more concatenated encoded messages]
 *   FIRST  [0x02][u32 stream][u32 total length][first bytes of a large message]
 *   MORE   [0x03][u32 stream][next bytes]
 *
 * Small messages sent in the same tick share one BATCH frame. A message too
 * big for one frame becomes a stream of chunks; the sender interleaves queued
 * small messages between chunks, so control messages are never stuck behind a
 * large payload. The sender keeps the channel's bufferedAmount under a high
 * water mark and waits for it to drain before sending more.
 */
import { MessageTooLargeError, ProtocolError } from '../errors.js';

/** Largest frame handed to the data channel. */
export const MAX_FRAME_BYTES = 16 * 1024;
/** Stop sending while the channel buffers more than this (keeps latency and memory bounded). */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** Default largest message accepted from a peer (a 32 MiB payload plus headroom). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Large messages a peer may have half-sent at once. */
const MAX_OPEN_STREAMS = 8;

const FRAME_BATCH = 0x01;
const FRAME_FIRST = 0x02;
const FRAME_MORE = 0x03;
const BATCH_HEADER = 1;
const FIRST_HEADER = 9;
const MORE_HEADER = 5;

/** What the sender needs from a data channel. */
export interface FrameChannel {
  send(frame: Uint8Array): void;
  readonly bufferedAmount: number;
  /** Calls `callback` once, after bufferedAmount has dropped (event or polling, per binding). */
  onDrain(callback: () => void): void;
}

interface OutgoingStream {
  id: number;
  bytes: Uint8Array;
  offset: number;
}

export class FrameSender {
  readonly #channel: FrameChannel;
  /** Small messages waiting to be packed into BATCH frames. */
  #small: Uint8Array[] = [];
  #smallBytes = 0;
  /** Large messages being sent chunk by chunk, round-robin. */
  #streams: OutgoingStream[] = [];
  #nextStreamId = 1;
  #flushScheduled = false;
  #waitingForDrain = false;
  #closed = false;

  constructor(channel: FrameChannel) {
    this.#channel = channel;
  }

  /** Queues one encoded message; frames leave in a microtask so a tick's messages share frames. */
  send(message: Uint8Array): void {
    if (this.#closed) return;
    if (message.length <= MAX_FRAME_BYTES - BATCH_HEADER) {
      this.#small.push(message);
      this.#smallBytes += message.length;
    } else {
      this.#streams.push({ id: this.#nextStreamId, bytes: message, offset: 0 });
      this.#nextStreamId = (this.#nextStreamId + 1) >>> 0 || 1;
    }
    if (!this.#flushScheduled && !this.#waitingForDrain) {
      this.#flushScheduled = true;
      queueMicrotask(() => {
        this.#flushScheduled = false;
        this.#pump();
      });
    }
  }

  /** Bytes accepted but not yet handed to the channel. */
  get queuedBytes(): number {
    let bytes = this.#smallBytes;
    for (const s of this.#streams) bytes += s.bytes.length - s.offset;
    return bytes;
  }

  close(): void {
    this.#closed = true;
    this.#small = [];
    this.#streams = [];
  }

  #pump(): void {
    while (!this.#closed && (this.#small.length > 0 || this.#streams.length > 0)) {
      if (this.#channel.bufferedAmount > HIGH_WATER_BYTES) {
        this.#waitingForDrain = true;
        this.#channel.onDrain(() => {
          this.#waitingForDrain = false;
          this.#pump();
        });
        return;
      }
      if (this.#small.length > 0) this.#sendBatch();
      else this.#sendChunk();
    }
  }

  /** Packs as many queued small messages as fit into one frame. */
  #sendBatch(): void {
    let size = BATCH_HEADER;
    let count = 0;
    while (count < this.#small.length && size + this.#small[count].length <= MAX_FRAME_BYTES) {
      size += this.#small[count].length;
      count++;
    }
    const frame = new Uint8Array(size);
    frame[0] = FRAME_BATCH;
    let offset = BATCH_HEADER;
    for (let i = 0; i < count; i++) {
      frame.set(this.#small[i], offset);
      offset += this.#small[i].length;
    }
    this.#small = count === this.#small.length ? [] : this.#small.slice(count);
    this.#smallBytes -= size - BATCH_HEADER;
    this.#channel.send(frame);
  }

  /** Sends the next chunk of the first stream, then rotates it to the back. */
  #sendChunk(): void {
    const stream = this.#streams.shift() as OutgoingStream;
    const first = stream.offset === 0;
    const header = first ? FIRST_HEADER : MORE_HEADER;
    const length = Math.min(MAX_FRAME_BYTES - header, stream.bytes.length - stream.offset);
    const frame = new Uint8Array(header + length);
    const view = new DataView(frame.buffer);
    frame[0] = first ? FRAME_FIRST : FRAME_MORE;
    view.setUint32(1, stream.id);
    if (first) view.setUint32(5, stream.bytes.length);
    frame.set(stream.bytes.subarray(stream.offset, stream.offset + length), header);
    stream.offset += length;
    if (stream.offset < stream.bytes.length) this.#streams.push(stream);
    this.#channel.send(frame);
  }
}

interface IncomingStream {
  total: number;
  received: number;
  chunks: Uint8Array[];
}

/**
 * Reassembles frames into message payloads. Throws ProtocolError (or
 * MessageTooLargeError) on any malformed frame; the caller then closes the
 * connection. Memory held is bounded by the bytes actually received, at most
 * MAX_OPEN_STREAMS partial messages of at most maxMessageBytes each.
 */
export class FrameReceiver {
  readonly #maxMessageBytes: number;
  readonly #streams = new Map<number, IncomingStream>();
  readonly #onBatch: (batch: Uint8Array) => void;
  readonly #onMessage: (message: Uint8Array) => void;

  /**
   * `onBatch` gets the payload of a BATCH frame (one or more concatenated
   * messages); `onMessage` gets one reassembled large message.
   */
  constructor(
    onBatch: (batch: Uint8Array) => void,
    onMessage: (message: Uint8Array) => void,
    maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ) {
    this.#onBatch = onBatch;
    this.#onMessage = onMessage;
    this.#maxMessageBytes = maxMessageBytes;
  }

  receive(frame: Uint8Array): void {
    if (frame.length > MAX_FRAME_BYTES) {
      throw new ProtocolError(`frame of ${frame.length} bytes exceeds the ${MAX_FRAME_BYTES}-byte frame limit`);
    }
    if (frame.length === 0) throw new ProtocolError('empty frame');
    switch (frame[0]) {
      case FRAME_BATCH:
        if (frame.length === BATCH_HEADER) throw new ProtocolError('empty batch frame');
        this.#onBatch(frame.subarray(BATCH_HEADER));
        return;
      case FRAME_FIRST:
        this.#first(frame);
        return;
      case FRAME_MORE:
        this.#more(frame);
        return;
      default:
        throw new ProtocolError(`unknown frame type 0x${frame[0].toString(16).padStart(2, '0')}`);
    }
  }

  #first(frame: Uint8Array): void {
    if (frame.length < FIRST_HEADER) throw new ProtocolError(`truncated FIRST frame (${frame.length} bytes)`);
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const id = view.getUint32(1);
    const total = view.getUint32(5);
    if (total > this.#maxMessageBytes) {
      throw new MessageTooLargeError(
        `peer announced a ${total}-byte message; the limit is ${this.#maxMessageBytes} bytes (maxMessageBytes)`,
      );
    }
    if (total <= MAX_FRAME_BYTES - BATCH_HEADER) {
      throw new ProtocolError(`stream ${id} announces ${total} bytes, small enough for one frame`);
    }
    if (this.#streams.has(id)) throw new ProtocolError(`stream ${id} started twice`);
    if (this.#streams.size >= MAX_OPEN_STREAMS) {
      throw new ProtocolError(`more than ${MAX_OPEN_STREAMS} large messages in flight at once`);
    }
    const stream: IncomingStream = { total, received: 0, chunks: [] };
    this.#streams.set(id, stream);
    this.#append(id, stream, frame.subarray(FIRST_HEADER));
  }

  #more(frame: Uint8Array): void {
    if (frame.length <= MORE_HEADER) throw new ProtocolError(`truncated MORE frame (${frame.length} bytes)`);
    const id = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1);
    const stream = this.#streams.get(id);
    if (!stream) throw new ProtocolError(`chunk for unknown stream ${id}`);
    this.#append(id, stream, frame.subarray(MORE_HEADER));
  }

  #append(id: number, stream: IncomingStream, chunk: Uint8Array): void {
    stream.received += chunk.length;
    if (stream.received > stream.total) {
      throw new ProtocolError(`stream ${id} sent more than its announced ${stream.total} bytes`);
    }
    // Copy: the frame's buffer may be reused by the binding after this call.
    stream.chunks.push(chunk.slice());
    if (stream.received < stream.total) return;
    this.#streams.delete(id);
    const message = new Uint8Array(stream.total);
    let offset = 0;
    for (const c of stream.chunks) {
      message.set(c, offset);
      offset += c.length;
    }
    this.#onMessage(message);
  }
}
