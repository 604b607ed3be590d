/**
 * Growable output for the encoder: small writes fill chunks that start small
 * and double up to 64 KiB, large byte strings are kept by reference, and
 * `finish()` copies everything once.
 */
import { ENCODE_CHUNK_BYTES } from './limits.js';

/**
 * Size of a writer's first chunk. Most messages (a queue call and its reply)
 * are tens of bytes: a 64 KiB first chunk per message made the garbage
 * collector the busiest part of a server answering a Python worker.
 */
const FIRST_CHUNK_BYTES = 256;

export class ByteWriter {
  readonly #parts: Uint8Array[] = [];
  #chunk = new Uint8Array(FIRST_CHUNK_BYTES);
  /** Size of the next chunk (doubling, up to ENCODE_CHUNK_BYTES). */
  #nextChunk = Math.min(ENCODE_CHUNK_BYTES, FIRST_CHUNK_BYTES * 2);
  #view = new DataView(this.#chunk.buffer);
  #used = 0;
  #length = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  #room(n: number): number {
    if (this.#used + n > this.#chunk.length) {
      this.#flush();
      this.#chunk = new Uint8Array(Math.max(this.#nextChunk, n));
      this.#nextChunk = Math.min(ENCODE_CHUNK_BYTES, this.#nextChunk * 2);
      this.#view = new DataView(this.#chunk.buffer);
    }
    const at = this.#used;
    this.#used += n;
    this.#length += n;
    return at;
  }

  #flush(): void {
    if (this.#used > 0) this.#parts.push(this.#chunk.subarray(0, this.#used));
    this.#chunk = new Uint8Array(0);
    this.#used = 0;
  }

  // Each method reserves room first: `#room` may switch to a new chunk, so the
  // chunk or view must be read after it, never in the same expression.
  u8(value: number): void {
    const at = this.#room(1);
    this.#chunk[at] = value;
  }

  u16le(value: number): void {
    const at = this.#room(2);
    this.#view.setUint16(at, value, true);
  }

  u32le(value: number): void {
    const at = this.#room(4);
    this.#view.setUint32(at, value, true);
  }

  i32le(value: number): void {
    const at = this.#room(4);
    this.#view.setInt32(at, value, true);
  }

  u64le(value: number): void {
    const at = this.#room(8);
    this.#view.setUint32(at, value % 0x100000000, true);
    this.#view.setUint32(at + 4, Math.floor(value / 0x100000000), true);
  }

  f64be(value: number): void {
    const at = this.#room(8);
    this.#view.setFloat64(at, value, false);
  }

  bytes(data: Uint8Array): void {
    if (data.length >= ENCODE_CHUNK_BYTES / 4) {
      // Large: keep the caller's bytes by reference; finish() copies them once.
      this.#flush();
      this.#parts.push(data);
      this.#length += data.length;
      return;
    }
    const at = this.#room(data.length);
    this.#chunk.set(data, at);
  }

  /** The written bytes, after `prefix`, in one new buffer. */
  finish(prefix: Uint8Array): Uint8Array {
    this.#flush();
    const out = new Uint8Array(prefix.length + this.#length);
    out.set(prefix, 0);
    let at = prefix.length;
    for (const part of this.#parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}
