/**
 * The connection's first moments, over hand-driven links: frames that arrive
 * before our open event (the peer's nonce can overtake it) are kept and read
 * once open; a link without DTLS fingerprints ends the attempt cleanly.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/logger.js';
import { authkeyBytes } from '../../shared/wire/auth.js';
import { Connection, type Link } from '../../shared/wire/connection.js';
import { memoryLinkPair } from '../support/memory-link.js';

type Events = Parameters<Link['start']>[0];

/** Wraps a link so the test decides when its open event fires. */
function delayedOpen(link: Link): Link & { fireOpen(): void } {
  let events: Events | undefined;
  let held = false;
  let release: (() => void) | undefined;
  return {
    ...link,
    start(e) {
      events = e;
      link.start({
        onOpen: () => {
          held = true;
          release = () => events?.onOpen();
        },
        onFrame: (f) => events?.onFrame(f),
        onClose: (r) => events?.onClose(r),
      });
    },
    fireOpen() {
      if (held) release?.();
    },
  };
}

const common = { authkey: authkeyBytes('k'), logger: silentLogger, agent: 'test' };

describe('Connection at open', () => {
  it("reads the peer's frames that arrived before its own open event", async () => {
    const [a, b] = memoryLinkPair();
    const late = delayedOpen(b);
    const master = new Connection({ ...common, link: a, role: 'master', label: 'worker w' });
    const worker = new Connection({ ...common, link: late, role: 'worker', label: 'master' });
    await new Promise((r) => setTimeout(r, 20)); // the master's nonce is waiting at the worker
    late.fireOpen();
    await Promise.all([master.ready, worker.ready]);
    expect(master.authenticated && worker.authenticated).toBe(true);
    master.close();
    worker.close();
  });

  it('ends the attempt with a ProtocolError when the link has no DTLS fingerprints', async () => {
    const [a] = memoryLinkPair();
    const broken: Link = {
      ...a,
      fingerprints: () => {
        throw new ProtocolError('the session description carries no DTLS fingerprint');
      },
    };
    const connection = new Connection({ ...common, link: broken, role: 'worker', label: 'master' });
    await expect(connection.ready).rejects.toThrow(/carries no DTLS fingerprint/);
  });
});
