import * as z from "zod";
import { ORDER_STATUSES, REFUND_STATUSES } from "../../db/enums";
import { MoneySchema, PageQuery } from "../../http/openapi";
import { TotalsSchema } from "../cart/schemas";
import { Address, ChosenShipping } from "../markets/schemas";

export const OrderLine = z
  .object({ variantId: z.string(), sku: z.string(), title: z.string(), quantity: z.number().int(), unitPrice: MoneySchema, discount: MoneySchema, tax: MoneySchema, total: MoneySchema })
  .openapi("OrderLine");

export const Order = z
  .object({
    id: z.string(),
    orderNumber: z.string(),
    status: z.enum(ORDER_STATUSES),
    lines: z.array(OrderLine),
    totals: TotalsSchema,
    /** The region the order was placed in (null: placed before regions existed). */
    region: z.string().nullable(),
    /** Copies taken at checkout: editing the address book or the method later never changes them. */
    shippingAddress: Address.nullable(),
    shippingMethod: ChosenShipping.nullable(),
    createdAt: z.string(),
    events: z.array(z.object({ status: z.string(), at: z.string() })),
    /** Money given back for this order; `succeeded` only once the provider confirmed it. */
    refunds: z.array(
      z
        .object({
          id: z.string(),
          amount: MoneySchema,
          status: z.enum(REFUND_STATUSES),
          reason: z.string(),
          createdAt: z.string(),
          succeededAt: z.string().nullable(),
        })
        .openapi("OrderRefund"),
    ),
  })
  .openapi("Order");
export type Order = z.infer<typeof Order>;

export const OrderParam = z.object({ id: z.string().min(1).max(64) });
export const AdminOrderQuery = PageQuery.extend({ status: z.enum(ORDER_STATUSES).optional() });
export const OrderStatusBody = z.object({ status: z.enum(ORDER_STATUSES), note: z.string().max(500).optional() }).strict();
export const RefundBody = z.object({ restock: z.boolean().optional() }).strict();
