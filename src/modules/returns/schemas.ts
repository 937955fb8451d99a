import * as z from "zod";
import { RETURN_STATUSES } from "../../db/enums";
import { MoneySchema, PageQuery } from "../../http/openapi";

const refundTo = z.enum(["original", "store_credit"]).openapi({ description: "original: back to the card, gift cards and credit that paid; store_credit: all as store credit" });

export const RequestReturnBody = z
  .object({
    lines: z
      .array(z.object({ variantId: z.string().min(1).max(64), quantity: z.number().int().min(1).max(1000), reason: z.string().trim().max(500).optional() }).strict())
      .min(1)
      .max(50),
    /** Exchange: other variants wanted instead of (part of) the money; reserved when the return is approved. */
    exchange: z.array(z.object({ variantId: z.string().min(1).max(64), quantity: z.number().int().min(1).max(100) }).strict()).max(20).optional(),
    refundTo: refundTo.optional(),
    note: z.string().trim().max(1000).optional(),
  })
  .strict()
  .openapi("RequestReturnBody");
export type RequestReturnBody = z.infer<typeof RequestReturnBody>;

export const ReceiveReturnBody = z
  .object({
    restock: z.boolean().openapi({ description: "Put the returned units back on hand" }),
    refundTo: refundTo.optional().openapi({ description: "Overrides the customer's choice" }),
  })
  .strict()
  .openapi("ReceiveReturnBody");

export const RejectReturnBody = z.object({ note: z.string().trim().max(1000).optional() }).strict().openapi("RejectReturnBody");

const ExchangeItem = z.object({ variantId: z.string(), sku: z.string(), title: z.string(), quantity: z.number().int(), amount: MoneySchema }).openapi("ExchangeItem");

export const ReturnRefund = z
  .object({
    destination: z.enum(["payment", "gift_card", "store_credit"]),
    amount: MoneySchema,
    status: z.enum(["pending", "succeeded", "needs_attention"]).openapi({ description: "succeeded once the provider confirmed (payment) or the balance was credited" }),
  })
  .openapi("ReturnRefund");

export const Return = z
  .object({
    id: z.string(),
    orderId: z.string(),
    status: z.enum(RETURN_STATUSES),
    lines: z.array(
      z
        .object({ variantId: z.string(), sku: z.string(), title: z.string(), quantity: z.number().int(), reason: z.string().nullable(), amount: MoneySchema, tax: MoneySchema })
        .openapi("ReturnLine"),
    ),
    returnedAmount: MoneySchema.openapi({ description: "What the returned units cost (after discounts, with tax), plus shipping when the whole order comes back" }),
    shippingAmount: MoneySchema,
    exchange: z.object({ items: z.array(ExchangeItem), amount: MoneySchema, orderId: z.string().nullable() }).nullable(),
    refundAmount: MoneySchema.openapi({ description: "The money that goes back: returnedAmount less what an exchange's replacements are worth" }),
    difference: z
      .object({
        amount: MoneySchema.openapi({ description: "What the customer pays on top: the replacements' worth less what comes back" }),
        status: z.enum(["due", "paying", "paid"]).openapi({ description: "due until paid (POST /store/returns/{id}/payment); paying while an attempt or the customer's confirmation is in progress" }),
      })
      .nullable()
      .openapi({ description: "Present when an exchange costs more than what comes back; the return is approved only once it is paid" }),
    refundTo: refundTo,
    restock: z.boolean().nullable(),
    refunds: z.array(ReturnRefund),
    note: z.string().nullable(),
    createdAt: z.string(),
    approvedAt: z.string().nullable(),
    receivedAt: z.string().nullable(),
    refundedAt: z.string().nullable(),
    rejectedAt: z.string().nullable(),
  })
  .openapi("Return");
export type Return = z.infer<typeof Return>;

export const ReturnParam = z.object({ id: z.string().min(1).max(64) });
export const AdminReturnQuery = PageQuery.extend({ status: z.enum(RETURN_STATUSES).optional() });

/** A return, and for a provider the customer confirms with (Stripe-compatible), its client secret while the difference is being paid. */
export const ReturnPaymentAnswer = Return.extend({
  payment: z.object({ clientSecret: z.string() }).optional(),
}).openapi("ReturnPaymentAnswer");
