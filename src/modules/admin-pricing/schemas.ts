import * as z from "zod";
import { ifMatchHeader } from "../../http/openapi";
import { DiscountConditions, DiscountDefinition, DiscountRulesByKind, DiscountValueByKind, DISCOUNT_KINDS, type DiscountKind } from "../pricing/schemas";

const Id = z.string().min(1).max(64);
const Instant = z.iso.datetime({ offset: true }).nullable();
const Amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Limit = z.number().int().min(1).max(1_000_000_000).nullable();

export const IdParam = z.object({ id: Id });
export const MemberParam = z.object({ id: Id, userId: Id });
export const VersionHeader = ifMatchHeader(true);

// ── Customer groups ──────────────────────────────────────────────────────────

export const CustomerGroup = z
  .object({ id: z.string(), name: z.string(), description: z.string().nullable(), memberCount: z.number().int(), createdAt: z.string(), updatedAt: z.string() })
  .openapi("CustomerGroup");
export type CustomerGroup = z.infer<typeof CustomerGroup>;
export const CreateGroupBody = z.object({ name: z.string().trim().min(1).max(100), description: z.string().max(1000).nullable().optional() }).strict();
export type CreateGroupBody = z.infer<typeof CreateGroupBody>;
export const UpdateGroupBody = CreateGroupBody.partial().strict();
export type UpdateGroupBody = z.infer<typeof UpdateGroupBody>;

// ── Price lists ──────────────────────────────────────────────────────────────

const VariantPrice = z.object({ variantId: Id, amount: Amount }).strict();
const PriceListFields = {
  name: z.string().trim().min(1).max(200),
  currency: z.string().regex(/^[A-Z]{3}$/).default("USD"),
  priority: z.number().int().min(-1000).max(1000).default(0),
  startsAt: Instant.default(null),
  endsAt: Instant.default(null),
  status: z.enum(["active", "inactive"]).default("active"),
  /** Customer groups the list is for; none = everyone. */
  groupIds: z.array(Id).max(50).default([]),
  /** Replaces every price of the list when given. */
  prices: z.array(VariantPrice).max(500).default([]),
};
export const CreatePriceListBody = z.object(PriceListFields).strict();
export type CreatePriceListBody = z.infer<typeof CreatePriceListBody>;
export const UpdatePriceListBody = z
  .object({
    name: PriceListFields.name,
    currency: z.string().regex(/^[A-Z]{3}$/),
    priority: z.number().int().min(-1000).max(1000),
    startsAt: Instant,
    endsAt: Instant,
    status: z.enum(["active", "inactive"]),
    groupIds: z.array(Id).max(50),
    prices: z.array(VariantPrice).max(500),
  })
  .partial()
  .strict();
export type UpdatePriceListBody = z.infer<typeof UpdatePriceListBody>;
export const PriceList = z
  .object({
    id: z.string(),
    name: z.string(),
    currency: z.string(),
    priority: z.number().int(),
    startsAt: z.string().nullable(),
    endsAt: z.string().nullable(),
    status: z.enum(["active", "inactive"]),
    groupIds: z.array(z.string()),
    prices: z.array(z.object({ variantId: z.string(), amount: z.number().int() })),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("PriceList");
export type PriceList = z.infer<typeof PriceList>;

// ── Discounts ────────────────────────────────────────────────────────────────

const DiscountFields = {
  code: z.string().trim().min(2).max(64).regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _").nullable(),
  title: z.string().trim().min(1).max(200),
  isAutomatic: z.boolean(),
  priority: z.number().int().min(-1000).max(1000),
  stackable: z.boolean(),
  startsAt: Instant,
  endsAt: Instant,
  usageLimit: Limit,
  perCustomerLimit: Limit,
  status: z.enum(["active", "inactive"]),
};
const CreateDiscountCommon = {
  ...DiscountFields,
  code: DiscountFields.code.default(null),
  isAutomatic: DiscountFields.isAutomatic.default(false),
  priority: DiscountFields.priority.default(0),
  stackable: DiscountFields.stackable.default(true),
  startsAt: Instant.default(null),
  endsAt: Instant.default(null),
  usageLimit: Limit.default(null),
  perCustomerLimit: Limit.default(null),
  status: DiscountFields.status.default("active"),
};
/** Kinds whose `rules` are all optional conditions; the others need their own rules. */
const RULES_OPTIONAL = new Set<DiscountKind>(["percentage", "fixed", "cart_percentage", "cart_fixed"]);
const kindShape = <K extends DiscountKind>(kind: K) => ({
  kind: z.literal(kind),
  value: DiscountValueByKind[kind],
  rules: RULES_OPTIONAL.has(kind) ? DiscountConditions.default({}) : (DiscountRulesByKind[kind] as z.ZodType),
});
const pascal = (kind: string) => kind.split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");
/** One strict object per kind; named ones (`CreateDiscount<Kind>`) so the discriminator can select them. */
const byKind = <T extends z.ZodRawShape>(common: T, name?: string) =>
  z.discriminatedUnion(
    "kind",
    DISCOUNT_KINDS.map((kind) => {
      const variant = z.object({ ...common, ...kindShape(kind) }).strict();
      return name ? variant.openapi(`${name}${pascal(kind)}`) : variant;
    }) as unknown as [z.ZodObject<any>, ...z.ZodObject<any>[]],
  );

/**
 * `value` and `rules` depend on `kind` (bps for percentages, minor units for fixed amounts, 0 where
 * the rules hold the numbers), so the body is a union discriminated by kind; the service checks
 * the merged result again with the engine's DiscountDefinition.
 */
export const CreateDiscountBody = byKind(CreateDiscountCommon, "CreateDiscount").openapi("CreateDiscountBody", { discriminator: { propertyName: "kind" } });
export type CreateDiscountBody = z.output<z.ZodObject<typeof CreateDiscountCommon>> & { kind: DiscountKind; value: number; rules: Record<string, unknown> };
/** A change of kind restates value and rules (the union); without a kind, value and rules are checked against the stored kind. */
export const UpdateDiscountBody = z
  .union([
    byKind(Object.fromEntries(Object.entries(DiscountFields).map(([k, v]) => [k, v.optional()]))),
    z
      .object({
        ...DiscountFields,
        value: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
        rules: z.record(z.string(), z.unknown()),
      })
      .partial()
      .strict(),
  ])
  .openapi("UpdateDiscountBody");
export type UpdateDiscountBody = Partial<z.infer<typeof CreateDiscountBody>>;
export const Discount = z
  .object({
    id: z.string(),
    code: z.string().nullable(),
    title: z.string(),
    kind: z.enum(DISCOUNT_KINDS),
    value: z.number().int(),
    rules: z.record(z.string(), z.unknown()),
    isAutomatic: z.boolean(),
    priority: z.number().int(),
    stackable: z.boolean(),
    startsAt: z.string().nullable(),
    endsAt: z.string().nullable(),
    usageLimit: z.number().int().nullable(),
    usageCount: z.number().int(),
    perCustomerLimit: z.number().int().nullable(),
    status: z.enum(["active", "inactive"]),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Discount");
export type Discount = z.infer<typeof Discount>;

export { DiscountDefinition };
