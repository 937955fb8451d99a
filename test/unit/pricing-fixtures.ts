import type { DiscountInput, PricingInput, PricingLine, PriceListInput } from "../../src/modules/pricing";

export const NOW = Date.UTC(2026, 0, 15);
export const DAY = 86_400_000;

export function line(overrides: Partial<PricingLine> & { lineId: string }): PricingLine {
  return {
    variantId: `var_${overrides.lineId}`,
    productId: `prod_${overrides.lineId}`,
    categoryIds: [],
    collectionIds: [],
    quantity: 1,
    basePrice: 1000,
    taxRateBps: 0,
    ...overrides,
  };
}

export function discount(overrides: Partial<DiscountInput> & Pick<DiscountInput, "id" | "kind">): DiscountInput {
  return {
    code: null,
    value: 0,
    rules: {},
    isAutomatic: true,
    priority: 0,
    stackable: true,
    startsAt: null,
    endsAt: null,
    usageLimit: null,
    usageCount: 0,
    perCustomerLimit: null,
    customerUsageCount: 0,
    ...overrides,
  };
}

export function priceList(overrides: Partial<PriceListInput> & { id: string }): PriceListInput {
  return { priority: 0, groupIds: [], startsAt: null, endsAt: null, prices: {}, ...overrides };
}

export function cart(overrides: Partial<PricingInput> = {}): PricingInput {
  return {
    lines: [],
    currency: "USD",
    customer: { id: "usr_1", groupIds: [] },
    priceLists: [],
    discounts: [],
    codes: [],
    taxInclusive: false,
    now: NOW,
    ...overrides,
  };
}
