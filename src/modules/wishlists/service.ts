/** Wishlists: a customer's variants, shown with price and availability as in the catalog; admins see the most-wished products. */
import { notFound, validationError } from "../../lib/errors";
import { money } from "../../lib/money";
import { toIso } from "../../lib/time";
import * as repo from "./repo";
import { MAX_WISHLIST_ITEMS, type Wishlist } from "./schemas";

export async function getWishlist(env: Env, customerId: string): Promise<Wishlist> {
  const rows = await repo.listItems(env.DB, customerId);
  return {
    items: rows.map((r) => ({
      variantId: r.variant_id,
      productId: r.product_id,
      productSlug: r.slug,
      sku: r.sku,
      title: r.title,
      price: money(r.price, r.currency),
      available: r.purchasable === 1 ? r.available : 0,
      purchasable: r.purchasable === 1,
      addedAt: toIso(r.created_at),
    })),
  };
}

/** Adds a variant of an active product; adding it again changes nothing. */
export async function addToWishlist(env: Env, customerId: string, variantId: string, now = Date.now()): Promise<Wishlist> {
  const outcome = await repo.addItem(env.DB, customerId, variantId, MAX_WISHLIST_ITEMS, now);
  if (!outcome.live) throw notFound("Variant");
  if (!outcome.listed) throw validationError([{ path: "variantId", message: `a wishlist holds at most ${MAX_WISHLIST_ITEMS} items` }]);
  return getWishlist(env, customerId);
}

/** Takes a variant off the customer's own wishlist; one it does not hold is not found. */
export async function removeFromWishlist(env: Env, customerId: string, variantId: string): Promise<Wishlist> {
  if (!(await repo.removeItem(env.DB, customerId, variantId))) throw notFound("Wishlist item");
  return getWishlist(env, customerId);
}

export async function mostWishedProducts(env: Env, limit: number) {
  return { data: await repo.mostWished(env.DB, limit) };
}
