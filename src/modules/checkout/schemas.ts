import { z } from "@hono/zod-openapi";
import { CHECKOUT_STATES } from "../../db/schema";
import { AppliedCode, AutomaticDiscount, CartItem, TotalsSchema } from "../cart/schemas";

export const Checkout = z
  .object({
    id: z.string(),
    state: z.enum(CHECKOUT_STATES),
    cartId: z.string(),
    lines: z.array(CartItem),
    discounts: z.array(AppliedCode),
    automaticDiscounts: z.array(AutomaticDiscount),
    totals: TotalsSchema,
    expiresAt: z.string(),
    orderId: z.string().nullable(),
  })
  .openapi("Checkout");
export type Checkout = z.infer<typeof Checkout>;

export const IdempotencyHeaders = z.object({
  "idempotency-key": z.string().min(1).max(255).openapi({ description: "Client-chosen key; the same key and body replay the answer" }),
});

/** Optional: a client may name the cart it saw, and leave a note; both take part in the idempotency hash. */
export const CreateCheckoutBody = z.object({ cartId: z.string().max(64).optional(), note: z.string().max(500).optional() }).strict();
export type CreateCheckoutBody = z.infer<typeof CreateCheckoutBody>;

export const PaymentBody = z
  .object({ provider: z.literal("test"), token: z.enum(["tok_success", "tok_decline"]) })
  .strict();
export type PaymentBody = z.infer<typeof PaymentBody>;

export const CheckoutParam = z.object({ id: z.string().min(1).max(64) });
