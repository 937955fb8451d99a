import * as z from "zod";
import { CHECKOUT_STATES } from "../../db/enums";
import { AppliedCode, AppliedGiftCard, AutomaticDiscount, CartItem, PayableTotals } from "../cart/schemas";
import { Address, ChosenShipping } from "../markets/schemas";

export const Checkout = z
  .object({
    id: z.string(),
    state: z.enum(CHECKOUT_STATES),
    cartId: z.string(),
    lines: z.array(CartItem),
    discounts: z.array(AppliedCode),
    automaticDiscounts: z.array(AutomaticDiscount),
    /** The region the checkout is priced in. */
    region: z.string(),
    shippingAddress: Address.nullable(),
    shippingMethod: ChosenShipping.nullable(),
    /** Gift cards holding part of the total for this checkout (captured when it becomes an order). */
    giftCards: z.array(AppliedGiftCard),
    /** `amountDue` is what the payment charges; 0 when the balances cover everything (no provider call). */
    totals: PayableTotals,
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

/**
 * The server pays through its configured provider (PAYMENT_PROVIDER). `provider` may name the one
 * the client expects; naming another is refused (422). The test provider (development and tests
 * only) takes `tok_success` / `tok_decline`; a Stripe-compatible one needs no token here (the
 * customer confirms in the browser with the client secret of the answer).
 */
export const PaymentBody = z
  .object({
    provider: z.string().min(1).max(32).optional().openapi({ description: "The provider the client expects; must be the server's", example: "test" }),
    token: z.string().min(1).max(255).optional().openapi({ description: "Test provider: tok_success or tok_decline", example: "tok_success" }),
  })
  .strict();
export type PaymentBody = z.infer<typeof PaymentBody>;

/** A checkout, and for a provider the customer confirms with (Stripe-compatible), its client secret while PAYMENT_PENDING. */
export const PaymentAnswer = Checkout.extend({
  payment: z.object({ clientSecret: z.string() }).optional(),
}).openapi("PaymentAnswer");
export type PaymentAnswer = z.infer<typeof PaymentAnswer>;

export const CheckoutParam = z.object({ id: z.string().min(1).max(64) });
