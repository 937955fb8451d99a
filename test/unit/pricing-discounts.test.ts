import { describe, expect, it } from "vitest";
import { priceCart } from "../../src/modules/pricing";
import { cart, discount, line } from "./pricing-fixtures";

describe("priceCart: percentage discounts", () => {
  it("takes the percentage off each matching line, rounded half-up at the line", () => {
    const priced = priceCart(
      cart({
        lines: [line({ lineId: "a", basePrice: 1005 }), line({ lineId: "b", basePrice: 999, productId: "prod_other" })],
        discounts: [discount({ id: "d1", kind: "percentage", value: 1000, rules: { productIds: ["prod_a"] } })],
      }),
    );
    // 10 % of 1005 = 100.5 → 101; line b is not a target.
    expect(priced.lines.map((l) => l.discount)).toEqual([101, 0]);
    expect(priced.totals).toEqual({ subtotal: 2004, discount: 101, shipping: 0, tax: 0, total: 1903 });
    expect(priced.appliedDiscounts).toEqual([
      { discountId: "d1", code: null, title: null, kind: "percentage", amount: 101, allocations: [{ lineId: "a", amount: 101 }] },
    ]);
  });

  it("matches lines by category ancestors and collections", () => {
    const priced = priceCart(
      cart({
        lines: [
          line({ lineId: "a", categoryIds: ["cat_shoes", "cat_apparel"] }),
          line({ lineId: "b", collectionIds: ["col_summer"] }),
          line({ lineId: "c" }),
        ],
        discounts: [
          discount({ id: "d1", kind: "percentage", value: 2000, rules: { categoryIds: ["cat_apparel"], collectionIds: ["col_summer"] } }),
        ],
      }),
    );
    expect(priced.lines.map((l) => l.discount)).toEqual([200, 200, 0]);
  });
});

describe("priceCart: fixed discounts", () => {
  it("takes the amount off every matching unit, never more than the line", () => {
    const priced = priceCart(
      cart({
        lines: [line({ lineId: "a", basePrice: 1000, quantity: 3 }), line({ lineId: "b", basePrice: 150, quantity: 2 })],
        discounts: [discount({ id: "d1", kind: "fixed", value: 200 })],
      }),
    );
    expect(priced.lines.map((l) => l.discount)).toEqual([600, 300]);
    expect(priced.lines[1]!.total).toBe(0);
  });
});

describe("priceCart: buy X get Y", () => {
  const rules = { buyQuantity: 2, getQuantity: 1, productIds: ["prod_a", "prod_b"] };

  it("makes the cheapest unit of every group of three free", () => {
    const priced = priceCart(
      cart({
        lines: [line({ lineId: "a", basePrice: 3000, quantity: 2 }), line({ lineId: "b", basePrice: 1000, quantity: 1 })],
        discounts: [discount({ id: "bxgy", kind: "buy_x_get_y", rules })],
      }),
    );
    expect(priced.lines.map((l) => l.discount)).toEqual([0, 1000]);
    expect(priced.totals.total).toBe(6000);
  });

  it("applies once per complete group and honours getPercentBps and maxApplications", () => {
    const priced = priceCart(
      cart({
        lines: [line({ lineId: "a", basePrice: 1000, quantity: 7 })],
        discounts: [
          discount({ id: "bxgy", kind: "buy_x_get_y", rules: { ...rules, getPercentBps: 5000, maxApplications: 1 } }),
        ],
      }),
    );
    expect(priced.totals.discount).toBe(500);
  });

  it("rejects the code with minimum_not_met when too few units are in the cart", () => {
    const priced = priceCart(
      cart({
        lines: [line({ lineId: "a", quantity: 2 })],
        discounts: [discount({ id: "bxgy", kind: "buy_x_get_y", rules, code: "B2G1", isAutomatic: false })],
        codes: ["b2g1"],
      }),
    );
    expect(priced.appliedDiscounts).toEqual([]);
    expect(priced.rejectedCodes).toEqual([{ code: "b2g1", reason: "minimum_not_met" }]);
  });
});

describe("priceCart: tiered discounts", () => {
  const tiers = [
    { threshold: 5000, thresholdType: "spend", valueBps: 500 },
    { threshold: 10000, thresholdType: "spend", valueBps: 1000 },
    { threshold: 10, thresholdType: "quantity", valueBps: 1500 },
  ];

  it.each([
    [4, 1000, 0],
    [5, 1000, 250],
    [9, 1000, 450],
    [5, 2000, 1000],
    [10, 1000, 1500],
  ])("with %i units of %i takes %i off (the best tier reached)", (quantity, basePrice, expected) => {
    const priced = priceCart(
      cart({
        lines: [line({ lineId: "a", quantity, basePrice })],
        discounts: [discount({ id: "tier", kind: "tiered", rules: { tiers } })],
      }),
    );
    expect(priced.totals.discount).toBe(expected);
  });
});

describe("priceCart: cart-level discounts", () => {
  it("splits a cart_fixed amount across lines by largest remainder, summing exactly", () => {
    const priced = priceCart(
      cart({
        lines: [line({ lineId: "a", basePrice: 100 }), line({ lineId: "b", basePrice: 100 }), line({ lineId: "c", basePrice: 100 })],
        discounts: [discount({ id: "c10", kind: "cart_fixed", value: 100 })],
      }),
    );
    expect(priced.lines.map((l) => l.discount)).toEqual([34, 33, 33]);
    expect(priced.appliedDiscounts[0]!.amount).toBe(100);
  });

  it("rounds cart_percentage once on the cart, then allocates", () => {
    const priced = priceCart(
      cart({
        lines: [line({ lineId: "a", basePrice: 333 }), line({ lineId: "b", basePrice: 333 }), line({ lineId: "c", basePrice: 334 })],
        discounts: [discount({ id: "c15", kind: "cart_percentage", value: 1550 })],
      }),
    );
    // 15.5 % of 1000 = 155 exactly; per-line rounding would give 52 + 52 + 52 = 156.
    expect(priced.totals.discount).toBe(155);
    expect(priced.lines.reduce((s, l) => s + l.discount, 0)).toBe(155);
  });

  it("never takes more than the cart is worth", () => {
    const priced = priceCart(
      cart({ lines: [line({ lineId: "a", basePrice: 500 })], discounts: [discount({ id: "big", kind: "cart_fixed", value: 10_000 })] }),
    );
    expect(priced.totals).toEqual({ subtotal: 500, discount: 500, shipping: 0, tax: 0, total: 0 });
  });

  it("rejects a code below its minimum subtotal with minimum_not_met", () => {
    const priced = priceCart(
      cart({
        lines: [line({ lineId: "a", basePrice: 4999 })],
        discounts: [discount({ id: "m", kind: "cart_fixed", value: 500, code: "SAVE5", isAutomatic: false, rules: { minSubtotal: 5000 } })],
        codes: ["SAVE5"],
      }),
    );
    expect(priced.rejectedCodes).toEqual([{ code: "SAVE5", reason: "minimum_not_met" }]);
    expect(priced.totals.discount).toBe(0);
  });
});
