/** D1 access for bundle definitions: a bundle product's choice sets and the variants each offers. */
export type SetItemRow = { set_id: string; name: string; min_choices: number; max_choices: number; variant_id: string; quantity: number };

export function findProduct(d1: D1Database, id: string) {
  return d1.prepare("SELECT id FROM products WHERE id = ? AND deleted_at IS NULL").bind(id).first<{ id: string }>();
}

/** Which of these variants are live and not themselves part of a bundle product (at most 90 ids). */
export async function liveComponentVariants(d1: D1Database, ids: string[]): Promise<{ id: string; product_id: string; is_bundle: number }[]> {
  if (ids.length === 0) return [];
  const { results } = await d1
    .prepare(
      `SELECT v.id, v.product_id, p.is_bundle FROM product_variants v JOIN products p ON p.id = v.product_id
       WHERE v.id IN (${ids.map(() => "?").join(", ")}) AND v.deleted_at IS NULL AND p.deleted_at IS NULL`,
    )
    .bind(...ids)
    .all<{ id: string; product_id: string; is_bundle: number }>();
  return results;
}

export async function setItems(d1: D1Database, productId: string): Promise<SetItemRow[]> {
  const { results } = await d1
    .prepare(
      `SELECT s.id AS set_id, s.name, s.min_choices, s.max_choices, i.variant_id, i.quantity
       FROM bundle_sets s JOIN bundle_set_items i ON i.set_id = s.id
       WHERE s.product_id = ? ORDER BY s.position, s.id, i.variant_id`,
    )
    .bind(productId)
    .all<SetItemRow>();
  return results;
}

export type NewSet = { id: string; name: string; minChoices: number; maxChoices: number; items: { variantId: string; quantity: number }[] };

/** Replaces the product's sets in one transaction and marks it a bundle. */
export async function replaceSets(d1: D1Database, productId: string, sets: NewSet[], now: number): Promise<void> {
  await d1.batch([
    d1.prepare("DELETE FROM bundle_set_items WHERE set_id IN (SELECT id FROM bundle_sets WHERE product_id = ?)").bind(productId),
    d1.prepare("DELETE FROM bundle_sets WHERE product_id = ?").bind(productId),
    ...sets.flatMap((s, position) => [
      d1
        .prepare("INSERT INTO bundle_sets (id, product_id, name, min_choices, max_choices, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(s.id, productId, s.name, s.minChoices, s.maxChoices, position, now, now),
      // One JSON parameter per set keeps every statement far below D1's 100-parameter limit.
      d1
        .prepare("INSERT INTO bundle_set_items (set_id, variant_id, quantity) SELECT ?, value ->> 0, value ->> 1 FROM json_each(?)")
        .bind(s.id, JSON.stringify(s.items.map((i) => [i.variantId, i.quantity]))),
    ]),
    d1.prepare("UPDATE products SET is_bundle = 1, updated_at = ? WHERE id = ?").bind(now, productId),
  ]);
}
