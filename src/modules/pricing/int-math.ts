// Integer helpers: every amount is a safe integer of minor units; products go through BigInt so
// that a × b never loses precision before the division.

/** Asserts a non-negative safe integer input; a violation is a caller bug, not a shopper error. */
export function assertAmount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${value}`);
  }
}

/** Converts back from BigInt, refusing anything a Number cannot hold exactly. */
export function toSafeNumber(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`amount out of safe integer range: ${value}`);
  return n;
}

/** a × b ÷ c rounded half-up (x.5 goes up), for non-negative integers and c > 0. */
export function mulDivHalfUp(a: number, b: number, c: number): number {
  const n = BigInt(a) * BigInt(b);
  const d = BigInt(c);
  return toSafeNumber((2n * n + d) / (2n * d));
}

/** Sum of safe integers that stays exact (throws past Number.MAX_SAFE_INTEGER). */
export function sumExact(values: readonly number[]): number {
  let total = 0n;
  for (const v of values) total += BigInt(v);
  return toSafeNumber(total);
}

/** a × b as an exact safe integer. */
export function mulExact(a: number, b: number): number {
  return toSafeNumber(BigInt(a) * BigInt(b));
}
