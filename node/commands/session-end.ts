/**
 * How a worker's session with one master ended, for the seed's loop and a
 * job session alike: the queue stayed empty (`done`), the master shut down
 * (the run is over), or the master was lost (wait for it to come back).
 */
import { ConnectionClosedError, PeerShutdownError } from '../../shared/errors.js';

export type SessionOutcome = 'done' | 'master-shutdown' | 'master-lost';

/** The outcome an error ends a session with, said on the way; rethrows what is not the master's going. */
export function sessionEndedBy(err: unknown, out: (line: string) => void): SessionOutcome {
  if (err instanceof PeerShutdownError) {
    // The master's own words (its bye reason), once: the error's message repeats what ended the link.
    out(`the master ended the session: ${err.peerReason ?? err.message}.`);
    return 'master-shutdown';
  }
  if (err instanceof ConnectionClosedError) {
    process.stderr.write(`peerproc worker: lost the master (${err.message}); waiting for it to come back\n`);
    return 'master-lost';
  }
  throw err;
}
