import type { DiscountKind } from "./schemas";

/** One cart line as the engine sees it; all amounts are integer minor units. */
export type PricingLine = {
  lineId: string;
  variantId: string;
  productId: string;
  /** The product's category and all its ancestors. */
  categoryIds: string[];
  collectionIds: string[];
  quantity: number;
  /** The variant's catalog price per unit (tax-exclusive or -inclusive as the store is configured). */
  basePrice: number;
  taxRateBps: number;
};

export type PriceListInput = {
  id: string;
  priority: number;
  /** Customer groups the list is for; empty = everyone. */
  groupIds: string[];
  startsAt: number | null;
  endsAt: number | null;
  /** When set, the list applies only to carts in this currency. */
  currency?: string;
  /** Unit price per variant id, minor units. */
  prices: Record<string, number>;
};

/** The discount row fields pricing needs; pass only active discounts (status = active). */
export type DiscountInput = {
  id: string;
  code: string | null;
  title?: string;
  kind: DiscountKind;
  value: number;
  /** The stored rules JSON; validated here against the kind's schema. */
  rules: unknown;
  isAutomatic: boolean;
  priority: number;
  stackable: boolean;
  startsAt: number | null;
  endsAt: number | null;
  usageLimit: number | null;
  usageCount: number;
  perCustomerLimit: number | null;
  /** Redemptions of this discount by the current customer. */
  customerUsageCount: number;
};

export type PricingInput = {
  lines: PricingLine[];
  currency: string;
  customer: { id: string | null; groupIds: string[] };
  priceLists: PriceListInput[];
  discounts: DiscountInput[];
  /** Codes the shopper entered, in any case. */
  codes: string[];
  taxInclusive: boolean;
  /** Epoch ms. */
  now: number;
  /** The chosen shipping method's charge, if anything ships; its tax is added like a line's. */
  shipping?: ShippingInput | null;
};

/**
 * A shipping charge as the engine takes it: the method's amount for this cart (net when prices
 * exclude tax, gross when they include it), the rate that taxes shipping at the place (0 where
 * shipping is untaxed), and the goods total (after discounts) from which it is free.
 */
export type ShippingInput = { amount: number; taxRateBps: number; freeOver: number | null };

export const REJECTION_REASONS = [
  "expired",
  "not_started",
  "usage_limit_reached",
  "customer_limit_reached",
  "minimum_not_met",
  "not_applicable",
  "not_stackable",
  "unknown",
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export type PricedLine = {
  lineId: string;
  /** Unit price after price lists. */
  unitPrice: number;
  /** The variant's catalog unit price (before price lists), for strike-through display. */
  listUnitPrice: number;
  priceListId: string | null;
  /** unitPrice × quantity. */
  subtotal: number;
  discount: number;
  tax: number;
  /** subtotal − discount (+ tax when prices are tax-exclusive). */
  total: number;
};

/**
 * Cart totals. total = subtotal − discount + shipping (+ tax when prices exclude it); tax holds
 * the lines' tax and the shipping's.
 */
export type Totals = { subtotal: number; discount: number; shipping: number; tax: number; total: number };

/** What shipping charged (0 when free or nothing ships) and the tax in it or on it. */
export type PricedShipping = { amount: number; tax: number };

export type AppliedDiscount = {
  discountId: string;
  code: string | null;
  title: string | null;
  kind: DiscountKind;
  amount: number;
  /** Where the amount went; sums exactly to amount. */
  allocations: { lineId: string; amount: number }[];
};

export type RejectedCode = { code: string; reason: RejectionReason };

export type PricedCart = {
  currency: string;
  taxInclusive: boolean;
  lines: PricedLine[];
  totals: Totals;
  /** null when the input had no shipping. */
  shipping: PricedShipping | null;
  appliedDiscounts: AppliedDiscount[];
  rejectedCodes: RejectedCode[];
};
