/**
 * Splits `total` across `weights` by the largest-remainder (Hamilton) method: each share is
 * floor(total × w / Σw), and the units left over go one each to the largest fractional
 * remainders, ties to the earlier index. Shares always sum exactly to `total`, and a share never
 * exceeds its weight when total ≤ Σw.
 */
export function allocateLargestRemainder(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`total must be a non-negative integer: ${total}`);
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) throw new RangeError(`weights must be non-negative integers: ${w}`);
  }
  if (total === 0) return weights.map(() => 0);
  const sum = weights.reduce((acc, w) => acc + BigInt(w), 0n);
  if (sum === 0n) throw new RangeError("cannot allocate a positive total over zero weights");
  const t = BigInt(total);
  const shares = weights.map((w) => (t * BigInt(w)) / sum);
  const remainders = weights.map((w) => (t * BigInt(w)) % sum);
  let left = t - shares.reduce((acc, s) => acc + s, 0n);
  const order = weights
    .map((_, i) => i)
    .sort((a, b) => (remainders[b]! > remainders[a]! ? 1 : remainders[b]! < remainders[a]! ? -1 : a - b));
  for (const i of order) {
    if (left === 0n) break;
    shares[i] = shares[i]! + 1n;
    left -= 1n;
  }
  return shares.map((s) => Number(s));
}
