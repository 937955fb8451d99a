import { describe, expect, it } from "vitest";
import { priceCart, rejectionFor, type PricingInput } from "../../src/modules/pricing";
import { cart, discount, line, priceList } from "./pricing-fixtures";

// A VIP with a price list, an automatic product discount, a stackable cart code and a
// non-stackable code, in one cart; every number below is worked out by hand in the comments.
function vipCart(taxInclusive: boolean): PricingInput {
  return cart({
    taxInclusive,
    customer: { id: "usr_vip", groupIds: ["grp_vip"] },
    lines: [
      line({ lineId: "a", basePrice: 1000, quantity: 3, taxRateBps: 2000 }),
      line({ lineId: "b", basePrice: 500, quantity: 2, taxRateBps: 1000 }),
    ],
    priceLists: [priceList({ id: "pl_vip", groupIds: ["grp_vip"], prices: { var_a: 800 } })],
    discounts: [
      discount({ id: "auto10", kind: "percentage", value: 1000, priority: 5, rules: { productIds: ["prod_a"] } }),
      discount({ id: "cart3", kind: "cart_fixed", value: 300, priority: 1, code: "CART3", isAutomatic: false }),
      discount({ id: "solo", kind: "cart_percentage", value: 5000, stackable: false, code: "SOLO", isAutomatic: false }),
    ],
    codes: ["cart3", "SOLO"],
  });
}

describe("priceCart: price lists, stacking and tax together", () => {
  it("prices a tax-exclusive cart step by step", () => {
    const priced = priceCart(vipCart(false));
    // a: 3 × 800 = 2400, −10 % = 240 → 2160; b: 2 × 500 = 1000.
    // CART3: 300 over [2160, 1000] → 205 r200 and 94 r2960; the leftover unit goes to b → [205, 95].
    expect(priced.appliedDiscounts.map((d) => [d.discountId, d.amount])).toEqual([["auto10", 240], ["cart3", 300]]);
    expect(priced.appliedDiscounts[1]!.allocations).toEqual([{ lineId: "a", amount: 205 }, { lineId: "b", amount: 95 }]);
    // Tax: a 1955 × 20 % = 391; b 905 × 10 % = 90.5 → 91.
    expect(priced.lines).toEqual([
      { lineId: "a", unitPrice: 800, listUnitPrice: 1000, priceListId: "pl_vip", subtotal: 2400, discount: 445, tax: 391, total: 2346 },
      { lineId: "b", unitPrice: 500, listUnitPrice: 500, priceListId: null, subtotal: 1000, discount: 95, tax: 91, total: 996 },
    ]);
    expect(priced.totals).toEqual({ subtotal: 3400, discount: 540, shipping: 0, tax: 482, total: 3342 });
    expect(rejectionFor(priced, "solo")).toBe("not_stackable");
    expect(rejectionFor(priced, "CART3")).toBeNull();
  });

  it("prices the same cart tax-inclusive: same discounts, tax extracted, nothing added", () => {
    const priced = priceCart(vipCart(true));
    // a: 1955 × 2000 / 12000 = 325.83 → 326; b: 905 × 1000 / 11000 = 82.27 → 82.
    expect(priced.lines.map((l) => [l.tax, l.total])).toEqual([[326, 1955], [82, 905]]);
    expect(priced.totals).toEqual({ subtotal: 3400, discount: 540, shipping: 0, tax: 408, total: 2860 });
  });

  it("lets the non-stackable code win alone once it outranks the others", () => {
    const input = vipCart(false);
    input.discounts = input.discounts.map((d) => (d.id === "solo" ? { ...d, priority: 9 } : d));
    const priced = priceCart(input);
    // 50 % of 3400 = 1700, allocated [1200, 500]; then a 1200 × 20 % + b 500 × 10 %.
    expect(priced.appliedDiscounts.map((d) => d.discountId)).toEqual(["solo"]);
    expect(priced.totals).toEqual({ subtotal: 3400, discount: 1700, shipping: 0, tax: 290, total: 1990 });
    expect(rejectionFor(priced, "CART3")).toBe("not_stackable");
  });
});
