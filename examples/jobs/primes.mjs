// CPU-heavy: how many primes are there below `task` (an integer)? Plain trial
// division, on purpose: each task takes tens of milliseconds, so a tab's pool
// of Web Workers (or a Node worker's threads) shows its speed-up.
export const name = 'count primes (trial division)';

export default function countPrimes(limit) {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`expected a non-negative integer, got ${limit}`);
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
