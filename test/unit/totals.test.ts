import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { priceLines, taxOf } from "../../src/modules/checkout/totals";

const line = (unitPrice: number, quantity: number, taxRateBps: number) => ({
  itemId: "item_1", variantId: "var_1", productId: "prod_1", sku: "S", title: "T", unitPrice, quantity, taxRateBps,
});

describe("priceLines", () => {
  it("multiplies price by quantity and rounds tax half up per line", () => {
    // 3 × 333 = 999; 999 × 8.25% = 82.4175 → 82; 1 × 10 at 5% = 0.5 → 1
    const { lines, totals } = priceLines([line(333, 3, 825), line(10, 1, 500)]);
    expect(lines.map((l) => [l.lineTotal, l.tax])).toEqual([[999, 82], [10, 1]]);
    expect(totals).toEqual({ subtotal: 1009, discount: 0, tax: 83, total: 1092 });
  });

  it("answers zero totals for no lines", () => {
    expect(priceLines([]).totals).toEqual({ subtotal: 0, discount: 0, tax: 0, total: 0 });
  });

  it("total is always subtotal plus tax, and tax is within half a cent of the exact value", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 10_000 }), (p, q, bps) => {
        const { totals } = priceLines([line(p, q, bps)]);
        expect(totals.total).toBe(totals.subtotal + totals.tax);
        expect(Math.abs(taxOf(p * q, bps) - (p * q * bps) / 10000)).toBeLessThanOrEqual(0.5);
      }),
    );
  });
});
