import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DISCOUNT_KINDS, allocateLargestRemainder, priceBundle, priceCart, type DiscountInput, type PricedCart, type PricingInput } from "../../src/modules/pricing";
import { DAY, NOW } from "./pricing-fixtures";

const PRODUCTS = ["prod_1", "prod_2", "prod_3", "prod_4"];
const CATEGORIES = ["cat_1", "cat_2", "cat_3"];
const COLLECTIONS = ["col_1", "col_2"];
const GROUPS = ["grp_1", "grp_2"];
const VARIANTS = ["var_1", "var_2", "var_3", "var_4", "var_5"];

const subset = (pool: string[]) => fc.subarray(pool);

const startArb = fc.option(fc.integer({ min: NOW - 10 * DAY, max: NOW + 2 * DAY }), { nil: null });
const endArb = fc.option(fc.integer({ min: NOW - 2 * DAY, max: NOW + 10 * DAY }), { nil: null });

const lineArb = fc.record({
  variantId: fc.constantFrom(...VARIANTS),
  productId: fc.constantFrom(...PRODUCTS),
  categoryIds: subset(CATEGORIES),
  collectionIds: subset(COLLECTIONS),
  quantity: fc.integer({ min: 1, max: 50 }),
  basePrice: fc.integer({ min: 0, max: 1_000_000 }),
  taxRateBps: fc.integer({ min: 0, max: 3000 }),
});

const priceListArb = fc.record({
  id: fc.constantFrom("pl_a", "pl_b", "pl_c"),
  priority: fc.integer({ min: 0, max: 3 }),
  groupIds: subset(GROUPS),
  startsAt: startArb,
  endsAt: endArb,
  prices: fc.dictionary(fc.constantFrom(...VARIANTS), fc.integer({ min: 0, max: 1_000_000 })),
});


// Targets are forced non-empty when `targeted`, so a line outside the pools matches nothing.
const conditionsArb = (targeted: boolean) =>
  fc
    .record(
      {
        productIds: subset(PRODUCTS),
        categoryIds: subset(CATEGORIES),
        collectionIds: subset(COLLECTIONS),
        customerGroupIds: subset(GROUPS),
        minSubtotal: fc.integer({ min: 0, max: 500_000 }),
      },
      { requiredKeys: targeted ? ["productIds"] : [] },
    )
    .filter((r) => !targeted || r.productIds!.length > 0);

const bxgyArb = fc.record({
  buyQuantity: fc.integer({ min: 1, max: 4 }),
  getQuantity: fc.integer({ min: 1, max: 3 }),
  getPercentBps: fc.integer({ min: 1, max: 10_000 }),
});
const tiersArb = fc.array(
  fc.record({
    threshold: fc.integer({ min: 0, max: 500_000 }),
    thresholdType: fc.constantFrom("spend" as const, "quantity" as const),
    valueBps: fc.integer({ min: 1, max: 10_000 }),
  }),
  { minLength: 1, maxLength: 3 },
);

const discountArb = (targeted: boolean): fc.Arbitrary<DiscountInput> =>
  fc
    .record({
      id: fc.constantFrom("d_1", "d_2", "d_3", "d_4", "d_5", "d_6"),
      kind: fc.constantFrom(...DISCOUNT_KINDS),
      amount: fc.integer({ min: 1, max: 200_000 }),
      bps: fc.integer({ min: 1, max: 10_000 }),
      conditions: conditionsArb(targeted),
      bxgy: bxgyArb,
      tiers: tiersArb,
      isAutomatic: fc.boolean(),
      priority: fc.integer({ min: 0, max: 3 }),
      stackable: fc.boolean(),
      startsAt: startArb,
      endsAt: endArb,
      usageLimit: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 2 }),
      usageCount: fc.integer({ min: 0, max: 5 }),
      perCustomerLimit: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null, freq: 2 }),
      customerUsageCount: fc.integer({ min: 0, max: 2 }),
    })
    .map(({ amount, bps, conditions, bxgy, tiers, ...d }) => ({
      ...d,
      code: `CODE_${d.id}`,
      value: d.kind.endsWith("percentage") ? bps : d.kind.endsWith("fixed") ? amount : 0,
      rules: d.kind === "buy_x_get_y" ? { ...conditions, ...bxgy } : d.kind === "tiered" ? { ...conditions, tiers } : conditions,
    }));

const uniqueById = <T extends { id: string }>(arb: fc.Arbitrary<T>, max: number) =>
  fc.uniqueArray(arb, { selector: (x) => x.id, maxLength: max });

const inputArb = (targeted = false): fc.Arbitrary<PricingInput> =>
  fc
    .record({
      lines: fc.array(lineArb, { minLength: 0, maxLength: 6 }),
      groupIds: subset(GROUPS),
      priceLists: uniqueById(priceListArb, 3),
      discounts: uniqueById(discountArb(targeted), 6),
      codes: fc.array(fc.constantFrom("CODE_d_1", "code_d_2", "CODE_D_3", "CODE_d_4", "CODE_d_5", "NOPE"), { maxLength: 4 }),
      taxInclusive: fc.boolean(),
    })
    .map(({ lines, groupIds, ...rest }) => ({
      ...rest,
      lines: lines.map((l, i) => ({ ...l, lineId: `line_${i}` })),
      customer: { id: "usr_1", groupIds },
      currency: "USD",
      now: NOW,
    }));

function allNumbers(value: unknown): number[] {
  if (typeof value === "number") return [value];
  if (Array.isArray(value)) return value.flatMap(allNumbers);
  if (value && typeof value === "object") return Object.values(value).flatMap(allNumbers);
  return [];
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const RUNS = { numRuns: 400 };

describe("priceCart properties", () => {
  it("answers only non-negative safe integers", () => {
    fc.assert(
      fc.property(inputArb(), (input) => {
        for (const n of allNumbers(priceCart(input))) expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
      }),
      RUNS,
    );
  });

  it("makes line amounts sum exactly to the cart totals", () => {
    fc.assert(
      fc.property(inputArb(), (input) => {
        const { lines, totals, taxInclusive } = priceCart(input);
        expect(sum(lines.map((l) => l.total))).toBe(totals.total);
        expect(sum(lines.map((l) => l.discount))).toBe(totals.discount);
        expect(sum(lines.map((l) => l.tax))).toBe(totals.tax);
        expect(totals.total).toBe(totals.subtotal - totals.discount + (taxInclusive ? 0 : totals.tax));
      }),
      RUNS,
    );
  });

  it("never lets a discount exceed what it applies to", () => {
    fc.assert(
      fc.property(inputArb(), (input) => {
        const priced: PricedCart = priceCart(input);
        const byId = new Map(priced.lines.map((l) => [l.lineId, l]));
        for (const line of priced.lines) expect(line.discount).toBeLessThanOrEqual(line.subtotal);
        for (const applied of priced.appliedDiscounts) {
          expect(applied.amount).toBeGreaterThan(0);
          expect(sum(applied.allocations.map((a) => a.amount))).toBe(applied.amount);
          for (const a of applied.allocations) expect(a.amount).toBeLessThanOrEqual(byId.get(a.lineId)!.subtotal);
        }
        const perLine = new Map<string, number>();
        for (const a of priced.appliedDiscounts.flatMap((d) => d.allocations)) {
          perLine.set(a.lineId, (perLine.get(a.lineId) ?? 0) + a.amount);
        }
        for (const line of priced.lines) expect(perLine.get(line.lineId) ?? 0).toBe(line.discount);
      }),
      RUNS,
    );
  });

  it("prices the same input the same way, whatever the order of price lists and discounts", () => {
    const withPermutations = inputArb().chain((input) =>
      fc.tuple(
        fc.constant(input),
        fc.shuffledSubarray(input.priceLists, { minLength: input.priceLists.length }),
        fc.shuffledSubarray(input.discounts, { minLength: input.discounts.length }),
      ),
    );
    fc.assert(
      fc.property(withPermutations, ([input, priceLists, discounts]) => {
        const first = priceCart(structuredClone(input));
        expect(priceCart(input)).toEqual(first);
        expect(priceCart({ ...structuredClone(input), priceLists, discounts })).toEqual(first);
      }),
      RUNS,
    );
  });

  it("never lowers the total when an item no discount targets is added", () => {
    fc.assert(
      fc.property(inputArb(true), lineArb, (input, extra) => {
        const before = priceCart(input);
        const item = { ...extra, lineId: "line_new", variantId: "var_new", productId: "prod_new", categoryIds: ["cat_new"], collectionIds: ["col_new"] };
        const after = priceCart({ ...input, lines: [...input.lines, item] });
        expect(after.totals.total).toBeGreaterThanOrEqual(before.totals.total);
        expect(after.lines.slice(0, -1)).toEqual(before.lines);
      }),
      RUNS,
    );
  });
});

describe("allocateLargestRemainder properties", () => {
  it("sums exactly to the total and never gives a share more than its weight", () => {
    const arb = fc
      .array(fc.integer({ min: 0, max: Math.floor(Number.MAX_SAFE_INTEGER / 64) }), { minLength: 1, maxLength: 20 })
      .filter((ws) => sum(ws) > 0)
      .chain((ws) => fc.tuple(fc.constant(ws), fc.integer({ min: 0, max: sum(ws) })));
    fc.assert(
      fc.property(arb, ([weights, total]) => {
        const shares = allocateLargestRemainder(total, weights);
        expect(sum(shares)).toBe(total);
        shares.forEach((s, i) => {
          expect(Number.isSafeInteger(s)).toBe(true);
          expect(s).toBeLessThanOrEqual(weights[i]!);
        });
      }),
      RUNS,
    );
  });
});

describe("priceBundle properties", () => {
  it("splits the bundle price exactly across its components", () => {
    const component = fc.record({
      variantId: fc.constantFrom(...VARIANTS),
      unitPrice: fc.integer({ min: 0, max: 1_000_000 }),
      quantity: fc.integer({ min: 1, max: 10 }),
    });
    fc.assert(
      fc.property(fc.array(component, { minLength: 1, maxLength: 6 }), fc.option(fc.integer({ min: 0, max: 5_000_000 }), { nil: null }), (components, fixedPrice) => {
        const bundle = priceBundle({ fixedPrice, components });
        expect(sum(bundle.shares.map((s) => s.amount))).toBe(bundle.unitPrice);
        expect(bundle.unitPrice).toBe(fixedPrice ?? sum(components.map((c) => c.unitPrice * c.quantity)));
      }),
      RUNS,
    );
  });
});
