import * as z from "zod";

/** The discount kinds of the `discounts.kind` column, in schema order. */
export const DISCOUNT_KINDS = [
  "percentage",
  "fixed",
  "buy_x_get_y",
  "tiered",
  "cart_percentage",
  "cart_fixed",
] as const;
export type DiscountKind = (typeof DISCOUNT_KINDS)[number];

const Id = z.string().min(1).max(100);
const Ids = z.array(Id).max(500);
/** Minor units; a safe non-negative integer. */
const Amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Basis points: 10000 = 100 %. */
const Bps = z.number().int().min(0).max(10_000);

const Currency = z.string().regex(/^[A-Z]{3}$/, "ISO 4217 code in capitals");

/**
 * Conditions every kind accepts. Targets (products, categories, collections) select the lines a
 * discount applies to — a line matches if it is in ANY listed target; no targets = every line.
 * minSubtotal is measured over the matching lines; customerGroupIds restricts who may use it.
 * Money per currency (markets): `currency` says which currency `value`, minSubtotal and spend
 * tiers are in and limits the discount to carts in it; `amounts` gives a fixed kind's value per
 * currency (a cart in a currency it does not name, other than `currency`, gets none);
 * `minSubtotals` the minimum per currency. Amounts are never converted between currencies.
 */
export const DiscountConditions = z
  .object({
    productIds: Ids.optional(),
    categoryIds: Ids.optional(),
    collectionIds: Ids.optional(),
    customerGroupIds: Ids.optional(),
    minSubtotal: Amount.optional(),
    currency: Currency.optional(),
    amounts: z.record(Currency, Amount.min(1)).optional(),
    minSubtotals: z.record(Currency, Amount).optional(),
  })
  .strict();
export type DiscountConditions = z.infer<typeof DiscountConditions>;

export const BuyXGetYRules = DiscountConditions.extend({
  buyQuantity: z.number().int().min(1).max(1000),
  getQuantity: z.number().int().min(1).max(1000),
  /** How much of each "get" unit is taken off; 10000 = free. */
  getPercentBps: Bps.min(1).default(10_000),
  /** How many times the offer may apply in one cart; unlimited when absent. */
  maxApplications: z.number().int().min(1).max(100_000).optional(),
});
export type BuyXGetYRules = z.infer<typeof BuyXGetYRules>;

export const DiscountTier = z
  .object({
    threshold: Amount,
    thresholdType: z.enum(["spend", "quantity"]),
    valueBps: Bps.min(1),
  })
  .strict();
export type DiscountTier = z.infer<typeof DiscountTier>;

export const TieredRules = DiscountConditions.extend({
  tiers: z.array(DiscountTier).min(1).max(20),
});
export type TieredRules = z.infer<typeof TieredRules>;

/** The `rules` JSON schema of each discount kind. */
export const DiscountRulesByKind = {
  percentage: DiscountConditions,
  fixed: DiscountConditions,
  buy_x_get_y: BuyXGetYRules,
  tiered: TieredRules,
  cart_percentage: DiscountConditions,
  cart_fixed: DiscountConditions,
} as const satisfies Record<DiscountKind, z.ZodType>;

export type DiscountRules = DiscountConditions & Partial<Omit<BuyXGetYRules, keyof DiscountConditions>> &
  Partial<Omit<TieredRules, keyof DiscountConditions>>;

/** The `value` column of each kind: bps for percentages, minor units for fixed, 0 where rules hold it. */
export const DiscountValueByKind = {
  percentage: Bps.min(1),
  fixed: Amount.min(1),
  buy_x_get_y: z.literal(0).default(0),
  tiered: z.literal(0).default(0),
  cart_percentage: Bps.min(1),
  cart_fixed: Amount.min(1),
} as const satisfies Record<DiscountKind, z.ZodType>;

const definition = <K extends DiscountKind>(kind: K) =>
  z
    .object({
      kind: z.literal(kind),
      value: DiscountValueByKind[kind],
      rules: DiscountRulesByKind[kind],
    })
    .strict();

/** Kind, value and rules of a discount, validated together; the admin CRUD embeds this. */
export const DiscountDefinition = z.discriminatedUnion("kind", [
  definition("percentage"),
  definition("fixed"),
  definition("buy_x_get_y"),
  definition("tiered"),
  definition("cart_percentage"),
  definition("cart_fixed"),
]);
export type DiscountDefinition = z.infer<typeof DiscountDefinition>;

/** Parses stored rules for a kind; null when they do not fit (such a discount never applies). */
export function parseDiscountRules(kind: DiscountKind, rules: unknown): DiscountRules | null {
  const parsed = DiscountRulesByKind[kind].safeParse(rules ?? {});
  return parsed.success ? (parsed.data as DiscountRules) : null;
}
