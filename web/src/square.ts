/**
 * The task of the distributed-process example: `n * n = n²`, the same text the
 * Node worker returns. Exact for any integer (BigInt beyond 2^53).
 */
export function squareText(n: unknown): string {
  if (typeof n === 'bigint') return `${n} * ${n} = ${n * n}`;
  if (typeof n === 'number' && Number.isInteger(n) && !Number.isSafeInteger(n * n)) {
    const big = BigInt(n);
    return `${n} * ${n} = ${big * big}`;
  }
  const x = n as number;
  return `${x} * ${x} = ${x * x}`;
}

const RESULT_PATTERN = /^(-?\d+) \* (-?\d+) = (-?\d+)$/;

/** Parses `n * n = square`; undefined if the text is not of that form. */
export function parseResult(text: string): { n: number; square: string } | undefined {
  const match = RESULT_PATTERN.exec(text);
  if (!match || match[1] !== match[2]) return undefined;
  return { n: Number(match[1]), square: match[3] };
}

/** True when `text` is the correct result for task `n`. */
export function isCorrectResult(text: string, n: number): boolean {
  return text === squareText(n);
}
