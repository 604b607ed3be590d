import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageTooLargeError, ProtocolError } from '../../shared/errors.js';
import {
  type FrameChannel,
  FrameReceiver,
  FrameSender,
  HIGH_WATER_BYTES,
  MAX_FRAME_BYTES,
} from '../../shared/wire/framing.js';

/** An in-memory channel whose buffer drains only when the test says so. */
class MemoryChannel implements FrameChannel {
  frames: Uint8Array[] = [];
  bufferedAmount = 0;
  #drainCallbacks: Array<() => void> = [];
  send(frame: Uint8Array): void {
    expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    this.frames.push(frame);
    this.bufferedAmount += frame.length;
  }
  onDrain(callback: () => void): void {
    this.#drainCallbacks.push(callback);
  }
  drain(): void {
    this.bufferedAmount = 0;
    const callbacks = this.#drainCallbacks;
    this.#drainCallbacks = [];
    for (const cb of callbacks) cb();
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function collect() {
  const messages: Uint8Array[] = [];
  const batches: Uint8Array[] = [];
  const receiver = new FrameReceiver(
    (b) => batches.push(b.slice()),
    (m) => messages.push(m),
  );
  return { receiver, messages, batches };
}

describe('FrameSender and FrameReceiver', () => {
  it('packs the small messages of one tick into one batch frame', async () => {
    const channel = new MemoryChannel();
    const sender = new FrameSender(channel);
    for (let i = 0; i < 100; i++) sender.send(new Uint8Array([i]));
    await tick();
    expect(channel.frames).toHaveLength(1);
    const { receiver, batches } = collect();
    receiver.receive(channel.frames[0]);
    expect([...batches[0]]).toEqual([...Array(100).keys()]);
  });

  it('splits a 32 MiB message into frames of at most 16 KiB and reassembles it', async () => {
    const channel = new MemoryChannel();
    const sender = new FrameSender(channel);
    const big = new Uint8Array(32 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    sender.send(big);
    const { receiver, messages } = collect();
    await tick();
    while (channel.frames.length > 0 || sender.queuedBytes > 0) {
      for (const f of channel.frames.splice(0)) receiver.receive(f);
      channel.drain();
    }
    expect(messages).toHaveLength(1);
    // Byte comparison: deep equality on 32 MiB element by element would take minutes.
    expect(Buffer.compare(messages[0], big)).toBe(0);
  });

  it('respects the high water mark and lets small messages pass between chunks', async () => {
    const channel = new MemoryChannel();
    const sender = new FrameSender(channel);
    sender.send(new Uint8Array(8 * 1024 * 1024));
    await tick();
    expect(channel.bufferedAmount).toBeLessThanOrEqual(HIGH_WATER_BYTES + MAX_FRAME_BYTES);
    const framesBefore = channel.frames.length;
    sender.send(new Uint8Array([42]));
    channel.drain();
    // The control message is the first frame after the drain, ahead of the remaining chunks.
    expect(channel.frames[framesBefore][0]).toBe(0x01);
    expect(sender.queuedBytes).toBeGreaterThan(0);
  });

  it('rejects announced messages over the limit without allocating them', () => {
    const receiver = new FrameReceiver(
      () => {},
      () => {},
      1024 * 1024,
    );
    const frame = new Uint8Array([0x02, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 1]);
    expect(() => receiver.receive(frame)).toThrow(MessageTooLargeError);
  });

  it('rejects malformed frames with ProtocolError', () => {
    const { receiver } = collect();
    expect(() => receiver.receive(new Uint8Array([]))).toThrow(ProtocolError);
    expect(() => receiver.receive(new Uint8Array([0x09, 1]))).toThrow(/unknown frame type 0x09/);
    expect(() => receiver.receive(new Uint8Array([0x03, 0, 0, 0, 7, 1]))).toThrow(/unknown stream 7/);
    expect(() => receiver.receive(new Uint8Array([0x01]))).toThrow(/empty batch/);
    expect(() => receiver.receive(new Uint8Array(MAX_FRAME_BYTES + 1))).toThrow(/frame limit/);
  });

  it('never throws anything but its own errors on arbitrary frames', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 64 }), { maxLength: 20 }), (frames) => {
        const { receiver } = collect();
        for (const frame of frames) {
          try {
            receiver.receive(frame);
          } catch (err) {
            expect(err instanceof ProtocolError || err instanceof MessageTooLargeError).toBe(true);
            return;
          }
        }
      }),
      { numRuns: 20_000 },
    );
  });
});
