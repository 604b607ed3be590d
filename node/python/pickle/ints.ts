/**
 * Python's LONG1/LONG4 integer payloads: little-endian two's complement, of
 * the minimal length CPython's `encode_long` picks. Integers come back as a
 * `number` when they are safe integers and as a `bigint` beyond.
 */

/** Returns the safe `number` form when the value fits, else the bigint. */
export function normalizeInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export function decodeLong(bytes: Uint8Array): number | bigint {
  const n = bytes.length;
  if (n === 0) return 0;
  // Up to 6 bytes (48 bits) the arithmetic stays exact in a double.
  if (n <= 6) {
    let value = 0;
    for (let i = n - 1; i >= 0; i--) value = value * 256 + (bytes[i] as number);
    if ((bytes[n - 1] as number) & 0x80) value -= 2 ** (8 * n);
    return value;
  }
  let hex = '';
  for (let i = n - 1; i >= 0; i--) hex += (bytes[i] as number).toString(16).padStart(2, '0');
  let value = BigInt(`0x${hex}`);
  if ((bytes[n - 1] as number) & 0x80) value -= 1n << BigInt(8 * n);
  return normalizeInt(value);
}

export function encodeLong(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array(0);
  const magnitude = value < 0n ? -value : value;
  const nbytes = (magnitude.toString(2).length >> 3) + 1;
  const hex = BigInt.asUintN(nbytes * 8, value)
    .toString(16)
    .padStart(nbytes * 2, '0');
  const out = new Uint8Array(nbytes);
  for (let i = 0; i < nbytes; i++) {
    const at = hex.length - 2 * (i + 1);
    out[i] = Number.parseInt(hex.slice(at, at + 2), 16);
  }
  // CPython drops a redundant 0xff sign byte for negatives (e.g. -128 is one byte, 0x80).
  if (value < 0n && nbytes > 1 && out[nbytes - 1] === 0xff && ((out[nbytes - 2] as number) & 0x80) !== 0) {
    return out.subarray(0, nbytes - 1);
  }
  return out;
}
