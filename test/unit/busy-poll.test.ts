/** The Python listener's busy poll: polls for its window after each kick, then lets the loop go idle. */
import { describe, expect, it } from 'vitest';
import { BusyPoll, DEFAULT_BUSY_POLL_MS } from '../../node/python/busy-poll.js';
import { ConfigError } from '../../shared/errors.js';

const turns = (n: number) =>
  new Promise<void>((resolve) => {
    let left = n;
    const next = () => (--left <= 0 ? resolve() : setImmediate(next));
    setImmediate(next);
  });

describe('BusyPoll', () => {
  it('keeps polling for its window after a kick, then stops by itself', async () => {
    const poll = new BusyPoll(5);
    expect(poll.polling).toBe(false);
    poll.kick();
    expect(poll.polling).toBe(true);
    await turns(3);
    expect(poll.polling).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await turns(3);
    expect(poll.polling).toBe(false);
  });

  it('a kick while polling extends the window without a second poll loop', async () => {
    const poll = new BusyPoll(20);
    poll.kick();
    await new Promise((resolve) => setTimeout(resolve, 12));
    poll.kick();
    await new Promise((resolve) => setTimeout(resolve, 12));
    // 24 ms after the first kick, 12 ms after the second: still inside the second window.
    expect(poll.polling).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(poll.polling).toBe(false);
  });

  it('0 turns it off', () => {
    const poll = new BusyPoll(0);
    poll.kick();
    expect(poll.polling).toBe(false);
  });

  it('refuses a window that is not a number of ms ≥ 0, naming it', () => {
    expect(() => new BusyPoll(-1)).toThrow(ConfigError);
    expect(() => new BusyPoll(-1)).toThrow(/'busyPollMs' must be a number of ms ≥ 0, got -1/);
    expect(() => new BusyPoll(Number.NaN)).toThrow(/got NaN/);
    expect(DEFAULT_BUSY_POLL_MS).toBeGreaterThan(0);
  });
});
