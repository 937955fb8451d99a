import { z } from "@hono/zod-openapi";
import { MoneySchema } from "../../http/openapi";

/** The most units of one variant a cart line may hold. */
export const MAX_LINE_QUANTITY = 100;
/** The most distinct lines a cart may hold. */
export const MAX_CART_LINES = 50;

export const CartItem = z
  .object({
    id: z.string(),
    variantId: z.string(),
    sku: z.string(),
    title: z.string(),
    quantity: z.number().int(),
    unitPrice: MoneySchema,
    lineTotal: MoneySchema,
  })
  .openapi("CartItem");

export const TotalsSchema = z
  .object({ subtotal: MoneySchema, discount: MoneySchema, tax: MoneySchema, total: MoneySchema })
  .openapi("Totals");

export const Cart = z
  .object({
    id: z.string(),
    items: z.array(CartItem),
    discounts: z.array(z.object({ code: z.string(), amount: MoneySchema })),
    totals: TotalsSchema,
  })
  .openapi("Cart");
export type Cart = z.infer<typeof Cart>;

export const AddCartItemBody = z
  .object({ variantId: z.string().min(1).max(64), quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY) })
  .strict();
export type AddCartItemBody = z.infer<typeof AddCartItemBody>;

export const UpdateCartItemBody = z.object({ quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY) }).strict();

export const ItemParam = z.object({ itemId: z.string().min(1).max(64) });
