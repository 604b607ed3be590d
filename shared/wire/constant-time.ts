/**
 * Comparison of secrets (MACs, digests) in time that does not depend on where
 * they differ, so an attacker cannot learn a correct prefix by timing. Used by
 * the peer handshake and by the CPython handshake.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
