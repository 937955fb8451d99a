import * as z from "zod";
import { MoneySchema, PageQuery } from "../../http/openapi";

/** The most gift cards one cart may apply. */
export const MAX_CART_GIFT_CARDS = 5;

const currency = z.string().regex(/^[A-Z]{3}$/).openapi({ example: "USD" });

export const IssueGiftCardBody = z
  .object({
    amount: z.number().int().min(1).max(100_000_000).openapi({ description: "Minor units", example: 5000 }),
    currency,
    expiresAt: z.string().datetime({ offset: true }).optional().openapi({ description: "After this the card cannot pay (ISO 8601)" }),
    note: z.string().trim().max(500).optional(),
  })
  .strict()
  .openapi("IssueGiftCardBody");
export type IssueGiftCardBody = z.infer<typeof IssueGiftCardBody>;

export const GiftCard = z
  .object({
    id: z.string(),
    last4: z.string(),
    initialAmount: MoneySchema,
    balance: MoneySchema.openapi({ description: "What is left after captured payments and give-backs" }),
    held: MoneySchema.openapi({ description: "Promised to checkouts in progress" }),
    expiresAt: z.string().nullable(),
    note: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("GiftCard");
export type GiftCard = z.infer<typeof GiftCard>;

export const IssuedGiftCard = GiftCard.extend({
  code: z.string().openapi({ description: "Shown once: only its hash is stored", example: "K7QM-3XPA-9TRD-W2HF" }),
}).openapi("IssuedGiftCard");

export const GiftCardBalance = z
  .object({ balance: MoneySchema.openapi({ description: "What the card can pay now" }), expiresAt: z.string().nullable() })
  .openapi("GiftCardBalance");

export const GiftCardIdParam = z.object({ id: z.string().min(1).max(64) });
export const GiftCardCodeParam = z.object({ code: z.string().min(4).max(64).openapi({ description: "The card's code (or, to remove it from a cart, its last four characters)" }) });
export const ApplyGiftCardBody = z.object({ code: z.string().trim().min(4).max(64) }).strict().openapi("ApplyGiftCardBody");
export const GiftCardListQuery = PageQuery;

// ── Store credit ─────────────────────────────────────────────────────────────

export const StoreCreditEntry = z
  .object({ id: z.string(), amount: MoneySchema, kind: z.enum(["grant", "refund"]), reference: z.string().nullable(), note: z.string().nullable(), createdAt: z.string() })
  .openapi("StoreCreditEntry");

export const StoreCredit = z
  .object({
    customerId: z.string(),
    balance: MoneySchema.openapi({ description: "What the credit can pay now" }),
    held: MoneySchema.openapi({ description: "Promised to checkouts in progress" }),
    entries: z.array(StoreCreditEntry).openapi({ description: "The newest credits put on the account" }),
  })
  .openapi("StoreCredit");
export type StoreCredit = z.infer<typeof StoreCredit>;

export const StoreCreditQuery = z.object({ currency: currency.optional() });
export const GrantStoreCreditBody = z
  .object({ amount: z.number().int().min(1).max(100_000_000), currency, note: z.string().trim().max(500).optional() })
  .strict()
  .openapi("GrantStoreCreditBody");
export const CustomerParam = z.object({ id: z.string().min(1).max(64) });
export const OptionalIdempotencyHeaders = z.object({
  "idempotency-key": z.string().min(1).max(255).optional().openapi({ description: "A retried grant with the same key is applied once" }),
});
