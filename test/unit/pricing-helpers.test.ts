import { describe, expect, it } from "vitest";
import { DiscountDefinition, allocateLargestRemainder, lineTax, parseDiscountRules, priceBundle } from "../../src/modules/pricing";

describe("allocateLargestRemainder", () => {
  it("gives leftover units to the largest remainders, ties to the earlier index", () => {
    expect(allocateLargestRemainder(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocateLargestRemainder(10, [5, 3, 2])).toEqual([5, 3, 2]);
    expect(allocateLargestRemainder(7, [10, 20, 30])).toEqual([1, 2, 4]);
    expect(allocateLargestRemainder(0, [0, 0])).toEqual([0, 0]);
  });

  it("refuses a positive total over zero weights", () => {
    expect(() => allocateLargestRemainder(1, [0, 0])).toThrow(RangeError);
  });
});

describe("lineTax", () => {
  it("rounds exact halves up", () => {
    expect(lineTax(5, 1000, false)).toBe(1); // 0.5
    expect(lineTax(4, 1000, false)).toBe(0); // 0.4
    expect(lineTax(1150, 1500, true)).toBe(150); // 1150 × 15/115
  });

  it("stays exact for amounts whose product with the rate passes 2^53", () => {
    expect(lineTax(9_000_000_000_000, 2500, false)).toBe(2_250_000_000_000);
  });
});

describe("priceBundle", () => {
  const components = [
    { variantId: "var_a", unitPrice: 1000, quantity: 2 },
    { variantId: "var_b", unitPrice: 500, quantity: 1 },
  ];

  it("computes a bundle without its own price as the sum of its components", () => {
    expect(priceBundle({ fixedPrice: null, components })).toEqual({
      mode: "computed",
      unitPrice: 2500,
      componentsTotal: 2500,
      shares: [{ variantId: "var_a", amount: 2000 }, { variantId: "var_b", amount: 500 }],
    });
  });

  it("splits a set bundle price across components in proportion to their value", () => {
    const priced = priceBundle({ fixedPrice: 2000, components });
    expect(priced).toMatchObject({ mode: "fixed", unitPrice: 2000, componentsTotal: 2500 });
    expect(priced.shares.map((s) => s.amount)).toEqual([1600, 400]);
  });
});

describe("discount rules schemas", () => {
  it("accept each kind's documented shape", () => {
    expect(parseDiscountRules("buy_x_get_y", { buyQuantity: 2, getQuantity: 1 })).toMatchObject({ getPercentBps: 10_000 });
    expect(parseDiscountRules("tiered", { tiers: [{ threshold: 100, thresholdType: "spend", valueBps: 500 }] })).not.toBeNull();
    expect(parseDiscountRules("cart_fixed", { minSubtotal: 5000, customerGroupIds: ["grp_1"] })).not.toBeNull();
  });

  it("reject unknown fields and missing required ones", () => {
    expect(parseDiscountRules("percentage", { productIdz: ["x"] })).toBeNull();
    expect(parseDiscountRules("buy_x_get_y", { buyQuantity: 2 })).toBeNull();
    expect(parseDiscountRules("tiered", { tiers: [] })).toBeNull();
  });

  it("validate value per kind in DiscountDefinition", () => {
    expect(DiscountDefinition.safeParse({ kind: "percentage", value: 10_001, rules: {} }).success).toBe(false);
    expect(DiscountDefinition.safeParse({ kind: "cart_fixed", value: 500, rules: {} }).success).toBe(true);
    expect(DiscountDefinition.safeParse({ kind: "buy_x_get_y", value: 5, rules: { buyQuantity: 1, getQuantity: 1 } }).success).toBe(false);
  });
});
