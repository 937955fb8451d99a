import { mulDivHalfUp } from "./int-math";

const BPS = 10_000;

/**
 * Tax of one line on its amount after discounts, rounded half-up at the line.
 * Exclusive: tax = taxable × r. Inclusive: the amount already holds the tax, whose share is
 * taxable × r ÷ (1 + r); the net is what remains, so net + tax is exactly the amount paid.
 */
export function lineTax(taxable: number, rateBps: number, taxInclusive: boolean): number {
  if (taxable === 0 || rateBps === 0) return 0;
  return taxInclusive ? mulDivHalfUp(taxable, rateBps, BPS + rateBps) : mulDivHalfUp(taxable, rateBps, BPS);
}

/** What the shopper pays for a line: tax is added on top only when prices are tax-exclusive. */
export function lineTotal(taxable: number, tax: number, taxInclusive: boolean): number {
  return taxInclusive ? taxable : taxable + tax;
}

/** A shipping method's charge for goods worth `goods` (after discounts): nothing once they reach `freeOver`. */
export function shippingCharge(amount: number, freeOver: number | null, goods: number): number {
  return freeOver !== null && goods >= freeOver ? 0 : amount;
}
