/** D1 access for carts: the one active cart per customer, its items joined with live catalog rows. */
/** `gift_cards` and `use_store_credit`: the balances applied to the cart (gift-cards/tenders.ts reads them). */
export type CartRow = { id: string; currency: string; discount_codes: string; gift_cards: string; use_store_credit: number };
export type CartLineRow = {
  item_id: string;
  variant_id: string;
  product_id: string;
  category_id: string | null;
  quantity: number;
  sku: string;
  title: string;
  price: number;
  currency: string;
  tax_rate_bps: number;
  purchasable: number;
  bundle_selection: string | null;
};

/** Creates the active cart if there is none (the partial unique index decides), then reads it. */
export async function ensureActiveCart(d1: D1Database, id: string, customerId: string, now: number): Promise<CartRow> {
  const [, read] = await d1.batch<CartRow>([
    d1
      .prepare(
        `INSERT INTO carts (id, customer_id, status, currency, discount_codes, version, created_at, updated_at)
         VALUES (?, ?, 'active', 'USD', '[]', 1, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .bind(id, customerId, now, now),
    d1.prepare("SELECT id, currency, discount_codes, gift_cards, use_store_credit FROM carts WHERE customer_id = ? AND status = 'active'").bind(customerId),
  ]);
  return read!.results[0]!;
}

export async function cartLines(d1: D1Database, cartId: string): Promise<CartLineRow[]> {
  const { results } = await d1
    .prepare(
      `SELECT ci.id AS item_id, ci.variant_id, p.id AS product_id, p.category_id, ci.quantity, v.sku,
              p.title || ' - ' || v.title AS title, v.price, v.currency, p.tax_rate_bps,
              (v.deleted_at IS NULL AND p.deleted_at IS NULL AND p.status = 'active') AS purchasable, ci.bundle_selection
       FROM cart_items ci
       JOIN product_variants v ON v.id = ci.variant_id
       JOIN products p ON p.id = v.product_id
       WHERE ci.cart_id = ? ORDER BY ci.created_at, ci.id`,
    )
    .bind(cartId)
    .all<CartLineRow>();
  return results;
}

/** A variant a shopper may put in a cart: live, of an active product. */
export async function findBuyableVariant(d1: D1Database, variantId: string) {
  return d1
    .prepare(
      `SELECT v.id, v.currency, v.product_id, p.is_bundle FROM product_variants v JOIN products p ON p.id = v.product_id
       WHERE v.id = ? AND v.deleted_at IS NULL AND p.deleted_at IS NULL AND p.status = 'active'`,
    )
    .bind(variantId)
    .first<{ id: string; currency: string; product_id: string; is_bundle: number }>();
}

export async function countItems(d1: D1Database, cartId: string): Promise<number> {
  const row = await d1.prepare("SELECT COUNT(*) AS n FROM cart_items WHERE cart_id = ?").bind(cartId).first<{ n: number }>();
  return row?.n ?? 0;
}

const touch = (d1: D1Database, cartId: string, now: number) =>
  d1.prepare("UPDATE carts SET updated_at = ?, version = version + 1 WHERE id = ?").bind(now, cartId);

/** Adds the variant or adds to its quantity, refusing to pass `max`; false when it would. */
export async function addItem(
  d1: D1Database,
  row: { id: string; cartId: string; variantId: string; quantity: number; max: number; now: number; selection: string | null },
): Promise<boolean> {
  // A bundle already in the cart only grows with the same selection (one line per variant).
  const [insert] = await d1.batch([
    d1
      .prepare(
        `INSERT INTO cart_items (id, cart_id, variant_id, quantity, bundle_selection, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity,
           updated_at = excluded.updated_at
         WHERE cart_items.quantity + excluded.quantity <= ? AND cart_items.bundle_selection IS excluded.bundle_selection`,
      )
      .bind(row.id, row.cartId, row.variantId, row.quantity, row.selection, row.now, row.now, row.max),
    touch(d1, row.cartId, row.now),
  ]);
  return insert!.meta.changes > 0;
}

export async function setItemQuantity(d1: D1Database, cartId: string, itemId: string, quantity: number, now: number): Promise<boolean> {
  const [update] = await d1.batch([
    d1.prepare("UPDATE cart_items SET quantity = ?, updated_at = ? WHERE id = ? AND cart_id = ?").bind(quantity, now, itemId, cartId),
    touch(d1, cartId, now),
  ]);
  return update!.meta.changes > 0;
}

export async function deleteItem(d1: D1Database, cartId: string, itemId: string, now: number): Promise<boolean> {
  const [del] = await d1.batch([
    d1.prepare("DELETE FROM cart_items WHERE id = ? AND cart_id = ?").bind(itemId, cartId),
    touch(d1, cartId, now),
  ]);
  return del!.meta.changes > 0;
}

/** The codes stored on a cart (upper-case); a cart row that predates them reads as none. */
export function codesOf(cart: CartRow): string[] {
  try {
    const codes = JSON.parse(cart.discount_codes) as unknown;
    return Array.isArray(codes) ? codes.filter((c): c is string => typeof c === "string") : [];
  } catch {
    return [];
  }
}

/** Appends the code unless the cart holds it already or holds `max` codes; false when it was not added. */
export async function addCode(d1: D1Database, cartId: string, code: string, max: number, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      `UPDATE carts SET discount_codes = json_insert(discount_codes, '$[#]', ?), updated_at = ?, version = version + 1
       WHERE id = ? AND status = 'active' AND json_array_length(discount_codes) < ?
         AND NOT EXISTS (SELECT 1 FROM json_each(carts.discount_codes) WHERE value = ?)`,
    )
    .bind(code, now, cartId, max, code)
    .run();
  return result.meta.changes > 0;
}

/** Removes the code; false when the cart does not hold it. */
export async function removeCode(d1: D1Database, cartId: string, code: string, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      `UPDATE carts SET discount_codes = (SELECT COALESCE(json_group_array(value), '[]') FROM json_each(carts.discount_codes) WHERE value <> ?),
         updated_at = ?, version = version + 1
       WHERE id = ? AND status = 'active' AND EXISTS (SELECT 1 FROM json_each(carts.discount_codes) WHERE value = ?)`,
    )
    .bind(code, now, cartId, code)
    .run();
  return result.meta.changes > 0;
}
