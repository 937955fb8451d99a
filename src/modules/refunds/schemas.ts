import * as z from "zod";
import { REFUND_STATUSES } from "../../db/enums";
import { MoneySchema, PageQuery } from "../../http/openapi";

export const Refund = z
  .object({
    id: z.string(),
    paymentId: z.string(),
    checkoutId: z.string(),
    orderId: z.string().nullable(),
    amount: MoneySchema,
    reason: z.string().openapi({ description: "stock_lost_after_payment, usage_limit_reached, unowned_payment, order_cancelled, order_refunded, …" }),
    status: z.enum(REFUND_STATUSES).openapi({ description: "pending: being retried; succeeded: confirmed by the provider; needs_attention: handed to an admin" }),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    succeededAt: z.string().nullable(),
  })
  .openapi("Refund");

export const RefundListQuery = PageQuery.extend({ status: z.enum(REFUND_STATUSES).optional() });
export const RefundParam = z.object({ id: z.string().min(1).max(64) });
export const RefundCursor = z.object({ u: z.number().int(), id: z.string().max(64) });
