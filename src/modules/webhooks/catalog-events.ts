/**
 * Product and stock events. Their data is read by SQL inside the writer's own batch, so it shows
 * the row exactly as the batch left it (the version after the UPDATE, the live variants).
 */
import type { SqlJson, WebhookEventInput, WebhookEventType } from "./events";

const iso = (column: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${column} / 1000.0, 'unixepoch')`;

const PRODUCT_JSON = `SELECT json_object(
    'id', p.id, 'slug', p.slug, 'title', p.title, 'status', p.status, 'categoryId', p.category_id, 'version', p.version,
    'deletedAt', CASE WHEN p.deleted_at IS NULL THEN NULL ELSE ${iso("p.deleted_at")} END, 'updatedAt', ${iso("p.updated_at")},
    'variants', json((SELECT json_group_array(json_object('id', v.id, 'sku', v.sku, 'title', v.title,
        'price', json_object('amount', v.price, 'currency', v.currency), 'version', v.version))
      FROM product_variants v WHERE v.product_id = p.id AND v.deleted_at IS NULL)))
  FROM products p WHERE p.id = ?`;

const productJson = (productId: string): SqlJson => ({ sqlJson: PRODUCT_JSON, params: [productId] });

/** product.created / updated / deleted with the product as the batch leaves it; `onlyIf` guards a conditional write. */
export function productEvent(type: Extract<WebhookEventType, `product.${string}`>, productId: string, now: number, onlyIf?: WebhookEventInput["onlyIf"]): WebhookEventInput {
  return { type, data: productJson(productId), now, onlyIf };
}

/**
 * inventory.low_stock when a read-model update takes a variant's available stock (on hand −
 * reserved) from at least `threshold` to below it. Put it BEFORE the update in the batch: it
 * compares with the row as it was.
 */
export function lowStockEvent(m: { variantId: string; onHand: number; reserved: number; version: number }, threshold: number, now: number): WebhookEventInput {
  const available = m.onHand - m.reserved;
  return {
    type: "inventory.low_stock",
    key: `inventory.low_stock:${m.variantId}:${m.version}`,
    now,
    data: {
      sqlJson: `SELECT json_object('variantId', v.id, 'productId', v.product_id, 'sku', v.sku, 'onHand', ?, 'reserved', ?, 'available', ?, 'threshold', ?)
        FROM product_variants v WHERE v.id = ?`,
      params: [m.onHand, m.reserved, available, threshold, m.variantId],
    },
    onlyIf: {
      sql: `? < ? AND EXISTS (SELECT 1 FROM inventory_levels WHERE variant_id = ? AND version < ? AND on_hand - reserved >= ?)`,
      params: [available, threshold, m.variantId, m.version, threshold],
    },
  };
}

/** Whether any of the batch's last `count` statements (the event inserts) wrote a row. */
export function wroteEvents(results: D1Result[], count: number): boolean {
  return results.slice(-count).some((r) => r.meta.changes > 0);
}
