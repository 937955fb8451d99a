/**
 * The pricing engine across markets (fast-check): in every currency and in tax-inclusive and
 * tax-exclusive regions, with shipping charged, free over a threshold or absent,
 *   total = subtotal − discount + shipping (+ tax when prices exclude it),
 * tax is the lines' tax plus the shipping's, and money set for one currency (price lists, fixed
 * discounts) never leaks into a cart of another.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { priceCart, shippingCharge, type DiscountInput, type PricingInput } from "../../src/modules/pricing";
import { NOW } from "./pricing-fixtures";

const CURRENCIES = ["USD", "EUR", "GBP", "JPY"] as const;
const VARIANTS = ["var_1", "var_2", "var_3"];

const lineArb = fc.record({
  variantId: fc.constantFrom(...VARIANTS),
  quantity: fc.integer({ min: 1, max: 20 }),
  basePrice: fc.integer({ min: 0, max: 500_000 }),
  taxRateBps: fc.integer({ min: 0, max: 2700 }),
});

const shippingArb = fc.option(
  fc.record({
    amount: fc.integer({ min: 0, max: 10_000 }),
    taxRateBps: fc.integer({ min: 0, max: 2700 }),
    freeOver: fc.option(fc.integer({ min: 0, max: 2_000_000 }), { nil: null }),
  }),
  { nil: null },
);

const priceListArb = fc.record({
  id: fc.constantFrom("pl_a", "pl_b"),
  priority: fc.integer({ min: 0, max: 2 }),
  currency: fc.constantFrom(...CURRENCIES),
  prices: fc.dictionary(fc.constantFrom(...VARIANTS), fc.integer({ min: 0, max: 500_000 })),
});

const discountArb: fc.Arbitrary<DiscountInput> = fc
  .record({
    id: fc.constantFrom("d_1", "d_2", "d_3"),
    kind: fc.constantFrom("percentage" as const, "fixed" as const, "cart_percentage" as const, "cart_fixed" as const),
    value: fc.integer({ min: 1, max: 5000 }),
    currency: fc.option(fc.constantFrom(...CURRENCIES), { nil: undefined }),
    amounts: fc.option(fc.dictionary(fc.constantFrom(...CURRENCIES), fc.integer({ min: 1, max: 50_000 })), { nil: undefined }),
    stackable: fc.boolean(),
    priority: fc.integer({ min: 0, max: 2 }),
  })
  .map((d) => ({
    id: d.id,
    code: null,
    kind: d.kind,
    value: d.kind.endsWith("percentage") ? Math.min(d.value, 10_000) : d.value,
    rules: { ...(d.currency ? { currency: d.currency } : {}), ...(d.amounts && d.kind.endsWith("fixed") ? { amounts: d.amounts } : {}) },
    isAutomatic: true,
    priority: d.priority,
    stackable: d.stackable,
    startsAt: null,
    endsAt: null,
    usageLimit: null,
    usageCount: 0,
    perCustomerLimit: null,
    customerUsageCount: 0,
  }));

const inputArb: fc.Arbitrary<PricingInput> = fc
  .record({
    lines: fc.array(lineArb, { minLength: 0, maxLength: 5 }),
    currency: fc.constantFrom(...CURRENCIES),
    taxInclusive: fc.boolean(),
    priceLists: fc.uniqueArray(priceListArb, { selector: (l) => l.id, maxLength: 2 }),
    discounts: fc.uniqueArray(discountArb, { selector: (d) => d.id, maxLength: 3 }),
    shipping: shippingArb,
  })
  .map((r) => ({
    lines: r.lines.map((l, i) => ({ ...l, lineId: `line_${i}`, productId: `prod_${i}`, categoryIds: [], collectionIds: [] })),
    currency: r.currency,
    customer: { id: "usr_1", groupIds: [] },
    priceLists: r.priceLists.map((l) => ({ ...l, groupIds: [], startsAt: null, endsAt: null })),
    discounts: r.discounts,
    codes: [],
    taxInclusive: r.taxInclusive,
    now: NOW,
    shipping: r.shipping,
  }));

const runs = { numRuns: 400 };

describe("pricing in every currency and tax mode, with shipping", () => {
  it("totals = lines + shipping + tax − discounts, exactly, in every currency and tax mode", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const priced = priceCart(input);
        const { subtotal, discount, shipping, tax, total } = priced.totals;
        const lineTax = priced.lines.reduce((s, l) => s + l.tax, 0);
        expect(tax).toBe(lineTax + (priced.shipping?.tax ?? 0));
        expect(shipping).toBe(priced.shipping?.amount ?? 0);
        expect(total).toBe(subtotal - discount + shipping + (input.taxInclusive ? 0 : tax));
        expect(total).toBe(priced.lines.reduce((s, l) => s + l.total, 0) + shipping + (input.taxInclusive ? 0 : (priced.shipping?.tax ?? 0)));
        // Tax-inclusive prices hold their tax: it never exceeds what is charged.
        if (input.taxInclusive) expect(tax).toBeLessThanOrEqual(total);
        expect(priced.currency).toBe(input.currency);
        for (const value of [subtotal, discount, shipping, tax, total]) expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
      }),
      runs,
    );
  });

  it("charges shipping unless the goods after discounts reach its threshold, taxed at its own rate", () => {
    fc.assert(
      fc.property(inputArb.filter((i) => i.shipping != null), (input) => {
        const priced = priceCart(input);
        const goods = priced.totals.subtotal - priced.totals.discount;
        const s = input.shipping!;
        const expected = s.freeOver !== null && goods >= s.freeOver ? 0 : s.amount;
        expect(priced.shipping!.amount).toBe(expected);
        expect(shippingCharge(s.amount, s.freeOver, goods)).toBe(expected);
        const rate = s.taxRateBps;
        const exactTax = input.taxInclusive ? (expected * rate) / (10_000 + rate) : (expected * rate) / 10_000;
        expect(Math.abs(priced.shipping!.tax - exactTax)).toBeLessThanOrEqual(0.5);
      }),
      runs,
    );
  });

  it("never lets a price list or a fixed amount of another currency touch the cart", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const priced = priceCart(input);
        const foreignLists = new Set(input.priceLists.filter((l) => l.currency !== input.currency).map((l) => l.id));
        for (const line of priced.lines) expect(line.priceListId === null || !foreignLists.has(line.priceListId)).toBe(true);
        // The same cart without the other currencies' lists prices its lines the same.
        const own = priceCart({ ...input, priceLists: input.priceLists.filter((l) => l.currency === input.currency) });
        expect(own.lines.map((l) => l.unitPrice)).toEqual(priced.lines.map((l) => l.unitPrice));
        for (const applied of priced.appliedDiscounts) {
          const d = input.discounts.find((x) => x.id === applied.discountId)!;
          const rules = d.rules as { currency?: string; amounts?: Record<string, number> };
          if (rules.currency !== undefined && rules.currency !== input.currency && rules.amounts?.[input.currency] === undefined) {
            throw new Error(`discount ${d.id} for ${rules.currency} applied to a ${input.currency} cart`);
          }
          if (d.kind === "cart_fixed") {
            const cap = rules.amounts?.[input.currency] ?? (rules.currency === undefined || rules.currency === input.currency ? d.value : 0);
            expect(applied.amount).toBeLessThanOrEqual(cap);
          }
        }
      }),
      runs,
    );
  });

  it("prices the same numbers whatever the currency is called, when nothing is set per currency", () => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom(...CURRENCIES), (input, other) => {
        const plain = { ...input, priceLists: input.priceLists.map(({ currency: _c, ...l }) => l), discounts: input.discounts.map((d) => ({ ...d, rules: {} })) };
        const a = priceCart(plain);
        const b = priceCart({ ...plain, currency: other });
        expect(b.totals).toEqual(a.totals);
      }),
      runs,
    );
  });
});
