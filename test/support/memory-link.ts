/** Two in-memory Links wired back to back, for unit tests of the connection layers. */
import { silentLogger } from '../../shared/logger.js';
import type { Registry } from '../../shared/rpc/registry.js';
import { authkeyBytes } from '../../shared/wire/auth.js';
import { Connection, type Link } from '../../shared/wire/connection.js';

type Events = Parameters<Link['start']>[0];
export type MemoryLink = Link & { hangUp(): void };

interface End {
  events?: Events;
  open: boolean;
  closed: boolean;
  inbox: Uint8Array[];
}

export function memoryLinkPair(): [MemoryLink, MemoryLink] {
  const ends: End[] = [
    { open: false, closed: false, inbox: [] },
    { open: false, closed: false, inbox: [] },
  ];
  // Like a data channel: frames arrive asynchronously, in order, and only after `open`.
  const pump = (end: End) =>
    setTimeout(() => {
      if (!end.open || end.closed || !end.events) return;
      for (const frame of end.inbox.splice(0)) {
        if (end.closed) return;
        end.events.onFrame(frame);
      }
    }, 0);
  const shut = (end: End) => {
    if (end.closed) return;
    end.closed = true;
    end.events?.onClose(undefined);
  };
  const make = (self: End, other: End, index: number): MemoryLink => ({
    bufferedAmount: 0,
    start(events) {
      self.events = events;
      setTimeout(() => {
        self.open = true;
        events.onOpen();
        pump(self);
      }, 0);
    },
    fingerprints: () => ({ local: `sha-256 ${index}`, remote: `sha-256 ${1 - index}` }),
    send(frame) {
      if (self.closed || other.closed) return;
      other.inbox.push(frame.slice());
      pump(other);
    },
    onDrain(callback) {
      setTimeout(callback, 0);
    },
    close() {
      shut(self);
      setTimeout(() => shut(other), 0);
    },
    hangUp() {
      this.close();
    },
  });
  return [make(ends[0], ends[1], 0), make(ends[1], ends[0], 1)];
}

/**
 * A master and a worker Connection over a memory link pair: the master serves
 * `registry` with key `k`, the worker proves `workerKey`. Heartbeats are fast
 * (50 ms, gone after 1 s) so that tests of a lost peer stay short.
 */
export function connectionPair(registry: Registry, workerKey = 'k') {
  const [a, b] = memoryLinkPair();
  const common = { logger: silentLogger, agent: 'test', heartbeatIntervalMs: 50, deadAfterMs: 1000 };
  const master = new Connection({
    ...common,
    link: a,
    role: 'master',
    authkey: authkeyBytes('k'),
    registry,
    label: 'w',
  });
  const worker = new Connection({ ...common, link: b, role: 'worker', authkey: authkeyBytes(workerKey), label: 'm' });
  return { master, worker, links: [a, b] as const };
}
