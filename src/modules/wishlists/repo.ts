/** D1 access for wishlists: a customer's variants with catalog price and stock, and the most-wished report. */

export type WishlistRow = {
  variant_id: string;
  product_id: string;
  slug: string;
  sku: string;
  title: string;
  price: number;
  currency: string;
  available: number;
  purchasable: number;
  created_at: number;
};

export async function listItems(d1: D1Database, customerId: string): Promise<WishlistRow[]> {
  const { results } = await d1
    .prepare(
      `SELECT w.variant_id, w.product_id, p.slug, v.sku, p.title || ' - ' || v.title AS title, v.price, v.currency,
              max(coalesce(il.on_hand, 0) - coalesce(il.reserved, 0), 0) AS available,
              (v.deleted_at IS NULL AND p.deleted_at IS NULL AND p.status = 'active') AS purchasable, w.created_at
       FROM wishlist_items w
       JOIN product_variants v ON v.id = w.variant_id
       JOIN products p ON p.id = v.product_id
       LEFT JOIN inventory_levels il ON il.variant_id = v.id
       WHERE w.customer_id = ? ORDER BY w.created_at DESC, w.rowid DESC`,
    )
    .bind(customerId)
    .all<WishlistRow>();
  return results;
}

/** Adds a live variant of an active product (again: no change), up to `max` items; answers whether the variant exists and whether it fit. */
export async function addItem(d1: D1Database, customerId: string, variantId: string, max: number, now: number) {
  const [insert, exists] = await d1.batch([
    d1
      .prepare(
        `INSERT INTO wishlist_items (customer_id, variant_id, product_id, created_at)
         SELECT ?, v.id, v.product_id, ? FROM product_variants v JOIN products p ON p.id = v.product_id
         WHERE v.id = ? AND v.deleted_at IS NULL AND p.deleted_at IS NULL AND p.status = 'active'
           AND (SELECT COUNT(*) FROM wishlist_items WHERE customer_id = ?) < ?
         ON CONFLICT DO NOTHING`,
      )
      .bind(customerId, now, variantId, customerId, max),
    d1
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM product_variants v JOIN products p ON p.id = v.product_id
           WHERE v.id = ? AND v.deleted_at IS NULL AND p.deleted_at IS NULL AND p.status = 'active') AS live,
         EXISTS (SELECT 1 FROM wishlist_items WHERE customer_id = ? AND variant_id = ?) AS listed`,
      )
      .bind(variantId, customerId, variantId),
  ]);
  const row = exists!.results[0] as { live: number; listed: number };
  return { added: insert!.meta.changes > 0, live: row.live === 1, listed: row.listed === 1 };
}

export async function removeItem(d1: D1Database, customerId: string, variantId: string): Promise<boolean> {
  const result = await d1.prepare("DELETE FROM wishlist_items WHERE customer_id = ? AND variant_id = ?").bind(customerId, variantId).run();
  return result.meta.changes > 0;
}

/** Products on the most wishlists (each customer counted once per product), live products only. */
export async function mostWished(d1: D1Database, limit: number) {
  const { results } = await d1
    .prepare(
      `SELECT w.product_id AS productId, p.title, p.slug, COUNT(*) AS wishes, COUNT(DISTINCT w.customer_id) AS customers
       FROM wishlist_items w JOIN products p ON p.id = w.product_id
       WHERE p.deleted_at IS NULL
       GROUP BY w.product_id ORDER BY customers DESC, wishes DESC, w.product_id LIMIT ?`,
    )
    .bind(limit)
    .all<{ productId: string; title: string; slug: string; wishes: number; customers: number }>();
  return results;
}
