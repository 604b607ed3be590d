/**
 * In a browser the put loop's yield and `afterThisTurn` are bare macrotasks,
 * never clamped timers: one MessageChannel shared by every waiting callback
 * (Node uses setImmediate and, for the yield, a 0 ms timer, which is not
 * clamped there). The browser path is exercised here by loading the module
 * fresh in a realm without setImmediate.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { putsBeforeTimer } from '../support/put-loop-turns.js';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

it('without setImmediate, callbacks go through one MessageChannel, in order, each once', async () => {
  let channels = 0;
  let posts = 0;
  const Native = globalThis.MessageChannel;
  class CountingChannel {
    readonly #inner = new Native();
    readonly port1 = this.#inner.port1;
    readonly port2 = {
      postMessage: (message: null) => {
        posts++;
        this.#inner.port2.postMessage(message);
      },
    };
    constructor() {
      channels++;
    }
  }
  vi.stubGlobal('setImmediate', undefined);
  vi.stubGlobal('MessageChannel', CountingChannel);
  const { nextMacrotask } = await import('../../shared/queue/event-loop-turns.js');
  const order: number[] = [];
  await new Promise<void>((resolve) => {
    nextMacrotask(() => order.push(1));
    nextMacrotask(() => order.push(2));
    nextMacrotask(() => {
      order.push(3);
      resolve();
    });
  });
  // Three callbacks asked for in one turn: one message carries them all.
  expect(order).toEqual([1, 2, 3]);
  expect(channels).toBe(1);
  expect(posts).toBe(1);
  await new Promise<void>((resolve) => nextMacrotask(resolve));
  expect(channels).toBe(1);
  expect(posts).toBe(2);
});

it('a run of local puts without setImmediate still gives the loop its turns', async () => {
  vi.stubGlobal('setImmediate', undefined);
  const { Queue } = await import('../../shared/queue/queue.js');
  expect(await putsBeforeTimer(Queue)).toBeDefined();
});
