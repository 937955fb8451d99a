/**
 * Cart and checkout totals until the pricing engine arrives (it replaces this module): unit price
 * is the variant price, tax per line is lineTotal × tax rate rounded half up, no discounts.
 */
export type PricedInput = {
  itemId: string;
  variantId: string;
  productId: string;
  sku: string;
  title: string;
  quantity: number;
  unitPrice: number;
  taxRateBps: number;
};
export type PricedLine = PricedInput & { lineTotal: number; tax: number };
export type Totals = { subtotal: number; discount: number; tax: number; total: number };

/** Half-up rounding of amount × bps / 10000 in integers (amounts are never negative here). */
export function taxOf(amount: number, bps: number): number {
  return Math.floor((amount * bps + 5000) / 10000);
}

export function priceLines(lines: PricedInput[]): { lines: PricedLine[]; totals: Totals } {
  const priced = lines.map((line) => {
    const lineTotal = line.unitPrice * line.quantity;
    return { ...line, lineTotal, tax: taxOf(lineTotal, line.taxRateBps) };
  });
  const subtotal = priced.reduce((sum, l) => sum + l.lineTotal, 0);
  const tax = priced.reduce((sum, l) => sum + l.tax, 0);
  return { lines: priced, totals: { subtotal, discount: 0, tax, total: subtotal + tax } };
}
