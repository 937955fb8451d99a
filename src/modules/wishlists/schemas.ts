import * as z from "zod";
import { MoneySchema } from "../../http/openapi";

/** The most variants one wishlist may hold. */
export const MAX_WISHLIST_ITEMS = 200;

export const WishlistItem = z
  .object({
    variantId: z.string(),
    productId: z.string(),
    productSlug: z.string(),
    sku: z.string(),
    title: z.string(),
    price: MoneySchema.openapi({ description: "The catalog price, as the store shows it" }),
    available: z.number().int().openapi({ description: "Units free to buy now, as the catalog shows them" }),
    purchasable: z.boolean().openapi({ description: "false once the product is archived or deleted (it stays on the list)" }),
    addedAt: z.string(),
  })
  .openapi("WishlistItem");

export const Wishlist = z.object({ items: z.array(WishlistItem) }).openapi("Wishlist");
export type Wishlist = z.infer<typeof Wishlist>;

export const WishlistBody = z.object({ variantId: z.string().min(1).max(64) }).strict().openapi("WishlistItemBody");
export const WishlistVariantParam = z.object({ variantId: z.string().min(1).max(64) });

export const MostWishedQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });
export const MostWishedReport = z
  .object({ data: z.array(z.object({ productId: z.string(), title: z.string(), slug: z.string(), wishes: z.number().int(), customers: z.number().int() })) })
  .openapi("MostWishedReport");
