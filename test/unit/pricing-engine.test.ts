import { describe, expect, it } from "vitest";
import { priceCart } from "../../src/modules/pricing";
import { DAY, NOW, cart, discount, line, priceList } from "./pricing-fixtures";

describe("priceCart: price lists", () => {
  const lines = [line({ lineId: "a", basePrice: 1000 })];

  it("uses the lowest applicable list price and reports the list", () => {
    const priced = priceCart(
      cart({
        lines,
        priceLists: [
          priceList({ id: "pl_b", prices: { var_a: 800 } }),
          priceList({ id: "pl_a", prices: { var_a: 700 }, groupIds: ["grp_vip"] }),
        ],
        customer: { id: "usr_1", groupIds: ["grp_vip"] },
      }),
    );
    expect(priced.lines[0]).toMatchObject({ unitPrice: 700, listUnitPrice: 1000, priceListId: "pl_a", subtotal: 700 });
  });

  it("ignores lists for other groups and lists outside their window", () => {
    const priced = priceCart(
      cart({
        lines,
        priceLists: [
          priceList({ id: "pl_vip", prices: { var_a: 500 }, groupIds: ["grp_vip"] }),
          priceList({ id: "pl_future", prices: { var_a: 600 }, startsAt: NOW + DAY }),
          priceList({ id: "pl_past", prices: { var_a: 600 }, endsAt: NOW }),
          priceList({ id: "pl_eur", prices: { var_a: 600 }, currency: "EUR" }),
        ],
      }),
    );
    expect(priced.lines[0]).toMatchObject({ unitPrice: 1000, priceListId: null });
  });

  it("breaks equal prices by higher priority, then smaller id, whatever the input order", () => {
    const lists = [
      priceList({ id: "pl_c", priority: 1, prices: { var_a: 900 } }),
      priceList({ id: "pl_b", priority: 5, prices: { var_a: 900 } }),
      priceList({ id: "pl_a", priority: 5, prices: { var_a: 900 } }),
    ];
    expect(priceCart(cart({ lines, priceLists: lists })).lines[0]!.priceListId).toBe("pl_a");
    expect(priceCart(cart({ lines, priceLists: [...lists].reverse() })).lines[0]!.priceListId).toBe("pl_a");
  });

  it("overrides the catalog price even when the list price is higher", () => {
    const priced = priceCart(cart({ lines, priceLists: [priceList({ id: "pl_x", prices: { var_a: 1200 } })] }));
    expect(priced.lines[0]!.unitPrice).toBe(1200);
  });

  it("computes discounts on the list price", () => {
    const priced = priceCart(
      cart({
        lines,
        priceLists: [priceList({ id: "pl", prices: { var_a: 800 } })],
        discounts: [discount({ id: "d", kind: "percentage", value: 2500 })],
      }),
    );
    expect(priced.totals).toEqual({ subtotal: 800, discount: 200, shipping: 0, tax: 0, total: 600 });
  });
});

describe("priceCart: stacking", () => {
  const lines = [line({ lineId: "a", basePrice: 10_000 })];
  const ten = (id: string, extra = {}) => discount({ id, kind: "percentage", value: 1000, ...extra });

  it("applies stackable discounts in priority order, each on what is left", () => {
    const priced = priceCart(
      cart({ lines, discounts: [ten("low", { priority: 1 }), discount({ id: "high", kind: "cart_fixed", value: 1000, priority: 9 })] }),
    );
    // 10 000 − 1 000 (priority 9) = 9 000, then 10 % = 900.
    expect(priced.appliedDiscounts.map((d) => [d.discountId, d.amount])).toEqual([["high", 1000], ["low", 900]]);
    expect(priced.totals.total).toBe(8100);
  });

  it("lets a non-stackable discount of higher priority exclude every other", () => {
    const priced = priceCart(
      cart({
        lines,
        discounts: [ten("auto", { priority: 1 }), ten("solo", { priority: 5, stackable: false, code: "SOLO", isAutomatic: false })],
        codes: ["SOLO"],
      }),
    );
    expect(priced.appliedDiscounts.map((d) => d.discountId)).toEqual(["solo"]);
    expect(priced.totals.discount).toBe(1000);
  });

  it("rejects a non-stackable code with not_stackable once another discount applied", () => {
    const priced = priceCart(
      cart({
        lines,
        discounts: [ten("auto", { priority: 5 }), ten("solo", { priority: 1, stackable: false, code: "SOLO", isAutomatic: false })],
        codes: ["solo"],
      }),
    );
    expect(priced.appliedDiscounts.map((d) => d.discountId)).toEqual(["auto"]);
    expect(priced.rejectedCodes).toEqual([{ code: "solo", reason: "not_stackable" }]);
  });
});

describe("priceCart: code rejections", () => {
  const lines = [line({ lineId: "a" })];
  const coded = (extra: Parameters<typeof discount>[0]) => discount({ code: "CODE", isAutomatic: false, ...extra });

  it.each([
    ["not_started", { startsAt: NOW + 1 }],
    ["expired", { endsAt: NOW }],
    ["usage_limit_reached", { usageLimit: 10, usageCount: 10 }],
    ["customer_limit_reached", { perCustomerLimit: 1, customerUsageCount: 1 }],
    ["not_applicable", { rules: { customerGroupIds: ["grp_vip"] } }],
    ["not_applicable", { rules: { productIds: ["prod_elsewhere"] } }],
    ["not_applicable", { rules: { nonsense: true } }],
  ] as const)("answers %s", (reason, extra) => {
    const priced = priceCart(cart({ lines, codes: ["CODE"], discounts: [coded({ id: "d", kind: "percentage", value: 1000, ...extra })] }));
    expect(priced.rejectedCodes).toEqual([{ code: "CODE", reason }]);
    expect(priced.totals.discount).toBe(0);
  });

  it("answers unknown for a code no discount has, and ignores repeats", () => {
    const priced = priceCart(cart({ lines, codes: ["NOPE", " nope "] }));
    expect(priced.rejectedCodes).toEqual([{ code: "NOPE", reason: "unknown" }]);
  });

  it("accepts codes in any case and reports the stored code", () => {
    const priced = priceCart(cart({ lines, codes: ["code"], discounts: [coded({ id: "d", kind: "percentage", value: 1000, title: "Ten off" })] }));
    expect(priced.rejectedCodes).toEqual([]);
    expect(priced.appliedDiscounts[0]).toMatchObject({ code: "CODE", title: "Ten off", amount: 100 });
  });

  it("silently skips automatic discounts that do not apply", () => {
    const priced = priceCart(cart({ lines, discounts: [discount({ id: "d", kind: "fixed", value: 100, endsAt: NOW })] }));
    expect(priced.rejectedCodes).toEqual([]);
    expect(priced.appliedDiscounts).toEqual([]);
  });
});

describe("priceCart: tax", () => {
  it("adds tax on top of tax-exclusive prices after discounts, rounded half-up per line", () => {
    const priced = priceCart(
      cart({
        lines: [line({ lineId: "a", basePrice: 1005, taxRateBps: 1000 }), line({ lineId: "b", basePrice: 999, taxRateBps: 0 })],
        discounts: [discount({ id: "d", kind: "fixed", value: 0 + 500, rules: { productIds: ["prod_a"] } })],
      }),
    );
    // Line a: 1005 − 500 = 505, 10 % = 50.5 → 51.
    expect(priced.lines[0]).toMatchObject({ subtotal: 1005, discount: 500, tax: 51, total: 556 });
    expect(priced.totals).toEqual({ subtotal: 2004, discount: 500, shipping: 0, tax: 51, total: 1555 });
  });

  it("extracts the tax share from tax-inclusive prices without changing what is paid", () => {
    const priced = priceCart(
      cart({ taxInclusive: true, lines: [line({ lineId: "a", basePrice: 1100, taxRateBps: 1000, quantity: 2 })] }),
    );
    expect(priced.lines[0]).toMatchObject({ subtotal: 2200, tax: 200, total: 2200 });
    expect(priced.totals).toEqual({ subtotal: 2200, discount: 0, shipping: 0, tax: 200, total: 2200 });
  });

  it("taxes each line at its own rate after a cart discount is allocated", () => {
    const priced = priceCart(
      cart({
        lines: [line({ lineId: "a", basePrice: 1000, taxRateBps: 2000 }), line({ lineId: "b", basePrice: 3000, taxRateBps: 500 })],
        discounts: [discount({ id: "c", kind: "cart_fixed", value: 400 })],
      }),
    );
    expect(priced.lines.map((l) => [l.discount, l.tax, l.total])).toEqual([[100, 180, 1080], [300, 135, 2835]]);
    expect(priced.totals.total).toBe(3915);
  });
});
