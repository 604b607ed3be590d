/**
 * The context a served object sees for a remote call, as a connection gives
 * it (its abort signal, its lease ledger, whether the peer was heard from
 * lately), for unit tests that call a queue's `[remoteCall]` directly.
 * `abort()` is the connection closing; `alive.value = false` a silent peer;
 * `lately.value = false` a peer still heard from, but not within the last
 * heartbeat (one SIGKILLed a moment ago, say).
 */
import { LeaseLedger } from '../../shared/queue/leases.js';
import type { RemoteCallContext } from '../../shared/rpc/served.js';

export function remoteCaller(
  heard = true,
): RemoteCallContext & { abort(): void; alive: { value: boolean }; lately: { value: boolean } } {
  const controller = new AbortController();
  const alive = { value: heard };
  const lately = { value: heard };
  return {
    signal: controller.signal,
    ledger: new LeaseLedger(),
    heardFrom: () => alive.value,
    heardLately: () => alive.value && lately.value,
    abort: () => controller.abort(),
    alive,
    lately,
  };
}
