import { describe, expect, it } from "vitest";
import {
  DiscountDefinition,
  allocateLargestRemainder,
  categoryAncestry,
  lineTax,
  parseDiscountRules,
  priceBundle,
  priceCart,
  toDiscountInputs,
  toPriceListInputs,
} from "../../src/modules/pricing";

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

describe("input mappers", () => {
  it("walks a category up to its root, surviving a cycle", () => {
    const parents = new Map<string, string | null>([["c3", "c2"], ["c2", "c1"], ["c1", null], ["x", "y"], ["y", "x"]]);
    expect(categoryAncestry("c3", parents)).toEqual(["c3", "c2", "c1"]);
    expect(categoryAncestry("x", parents)).toEqual(["x", "y"]);
    expect(categoryAncestry(null, parents)).toEqual([]);
  });

  it("keeps only active price lists and gathers their groups and prices", () => {
    const base = { name: "n", currency: "USD", priority: 1, startsAt: null, endsAt: null, version: 1, deletedAt: null, createdAt: 0, updatedAt: 0 };
    const inputs = toPriceListInputs(
      [{ ...base, id: "pl_1", status: "active" }, { ...base, id: "pl_2", status: "inactive" }],
      [{ priceListId: "pl_1", customerGroupId: "grp_1" }],
      [{ priceListId: "pl_1", variantId: "var_1", amount: 900 }, { priceListId: "pl_2", variantId: "var_1", amount: 1 }],
    );
    expect(inputs).toEqual([{ id: "pl_1", priority: 1, groupIds: ["grp_1"], startsAt: null, endsAt: null, currency: "USD", prices: { var_1: 900 } }]);
  });

  it("keeps only active discounts and attaches the customer's usage", () => {
    const row = {
      id: "d_1", code: "X", title: "T", kind: "percentage" as const, value: 1000, rules: {}, isAutomatic: false, priority: 0,
      stackable: true, startsAt: null, endsAt: null, usageLimit: null, usageCount: 3, perCustomerLimit: 1, status: "active" as const,
      version: 1, deletedAt: null, createdAt: 0, updatedAt: 0,
    };
    const inputs = toDiscountInputs([row, { ...row, id: "d_2", status: "inactive" }], new Map([["d_1", 1]]));
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toMatchObject({ id: "d_1", usageCount: 3, customerUsageCount: 1 });
  });
});

describe("priceCart edge cases", () => {
  it("prices an empty cart at zero", () => {
    const priced = priceCart({ lines: [], currency: "USD", customer: { id: null, groupIds: [] }, priceLists: [], discounts: [], codes: [], taxInclusive: false, now: 0 });
    expect(priced.totals).toEqual({ subtotal: 0, discount: 0, shipping: 0, tax: 0, total: 0 });
  });

  it("refuses fractional or negative amounts as a programming error", () => {
    const base = { lines: [], currency: "USD", customer: { id: null, groupIds: [] }, priceLists: [], discounts: [], codes: [], taxInclusive: false, now: 0 };
    const bad = { lineId: "l", variantId: "v", productId: "p", categoryIds: [], collectionIds: [], quantity: 1, basePrice: 9.99, taxRateBps: 0 };
    expect(() => priceCart({ ...base, lines: [bad] })).toThrow(RangeError);
    expect(() => priceCart({ ...base, lines: [{ ...bad, basePrice: 100, quantity: 0 }] })).toThrow(RangeError);
  });
});
