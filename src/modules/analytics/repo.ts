/**
 * Business metrics from D1. Every query is a range or index scan (tested with EXPLAIN QUERY PLAN):
 * orders by created_at, items through their order, low stock through the available-stock index.
 */
const COUNTED = "o.status NOT IN ('cancelled', 'refunded')";

export type SalesRow = { day: string; currency: string; orders: number; revenue: number };
export type MarketSalesRow = { region: string | null; currency: string; orders: number; revenue: number; shipping: number; tax: number };
export type TopProductRow = { productId: string; title: string | null; units: number; revenue: number; currency: string };
export type LowStockRow = { variantId: string; sku: string | null; variantTitle: string | null; productId: string | null; productTitle: string | null; onHand: number; reserved: number; available: number };

export const SQL = {
  sales: `SELECT strftime('%Y-%m-%d', o.created_at / 1000, 'unixepoch') AS day, o.currency AS currency,
            count(*) AS orders, sum(o.total) AS revenue
          FROM orders o INDEXED BY orders_created_idx
          WHERE o.created_at >= ?1 AND o.created_at < ?2 AND ${COUNTED}
          GROUP BY day, o.currency ORDER BY day, o.currency`,
  salesByMarket: `SELECT o.region_code AS region, o.currency AS currency, count(*) AS orders, sum(o.total) AS revenue,
            sum(o.shipping_total) AS shipping, sum(o.tax_total) AS tax
          FROM orders o INDEXED BY orders_created_idx
          WHERE o.created_at >= ?1 AND o.created_at < ?2 AND ${COUNTED}
          GROUP BY o.region_code, o.currency ORDER BY revenue DESC, o.currency, o.region_code`,
  topProducts: `SELECT oi.product_id AS productId, p.title AS title, sum(oi.quantity) AS units,
            sum(oi.total) AS revenue, o.currency AS currency
          FROM orders o INDEXED BY orders_created_idx
          JOIN order_items oi ON oi.order_id = o.id
          LEFT JOIN products p ON p.id = oi.product_id
          WHERE o.created_at >= ?1 AND o.created_at < ?2 AND ${COUNTED}
          GROUP BY oi.product_id, o.currency ORDER BY units DESC, revenue DESC, oi.product_id LIMIT ?3`,
  lowStock: `SELECT il.variant_id AS variantId, v.sku AS sku, v.title AS variantTitle, p.id AS productId,
            p.title AS productTitle, il.on_hand AS onHand, il.reserved AS reserved, (il.on_hand - il.reserved) AS available
          FROM inventory_levels il
          LEFT JOIN product_variants v ON v.id = il.variant_id
          LEFT JOIN products p ON p.id = v.product_id
          WHERE (il.on_hand - il.reserved) < ?1 AND v.deleted_at IS NULL AND p.deleted_at IS NULL
          ORDER BY (il.on_hand - il.reserved), il.variant_id LIMIT ?2`,
  funnel: [
    `SELECT count(*) AS n FROM carts WHERE created_at >= ?1 AND created_at < ?2`,
    `SELECT count(*) AS n FROM checkouts WHERE created_at >= ?1 AND created_at < ?2`,
    `SELECT count(*) AS n FROM orders o WHERE o.created_at >= ?1 AND o.created_at < ?2 AND ${COUNTED}`,
  ],
} as const;

export async function sales(d1: D1Database, from: number, to: number) {
  return (await d1.prepare(SQL.sales).bind(from, to).all<SalesRow>()).results;
}

export async function salesByMarket(d1: D1Database, from: number, to: number) {
  return (await d1.prepare(SQL.salesByMarket).bind(from, to).all<MarketSalesRow>()).results;
}

export async function topProducts(d1: D1Database, from: number, to: number, limit: number) {
  return (await d1.prepare(SQL.topProducts).bind(from, to, limit).all<TopProductRow>()).results;
}

export async function lowStock(d1: D1Database, threshold: number, limit: number) {
  return (await d1.prepare(SQL.lowStock).bind(threshold, limit).all<LowStockRow>()).results;
}

export async function funnel(d1: D1Database, from: number, to: number) {
  const results = await d1.batch<{ n: number }>(SQL.funnel.map((q) => d1.prepare(q).bind(from, to)));
  const [carts, checkouts, orders] = results.map((r) => r.results[0]?.n ?? 0) as [number, number, number];
  return { carts, checkouts, orders };
}

/**
 * Records that the order_placed metric of an order is being written, in one batch with reading
 * the order; answers the order only the first time, so a redelivered event writes nothing.
 */
export async function claimOrderMetric(d1: D1Database, orderId: string, now: number) {
  const [receipt, order] = await d1.batch([
    d1.prepare("INSERT INTO event_receipts (consumer, event_key, created_at) VALUES ('metrics', ?, ?) ON CONFLICT DO NOTHING").bind(orderId, now),
    d1.prepare("SELECT total, currency, region_code FROM orders WHERE id = ?").bind(orderId),
  ]);
  const row = order!.results[0] as { total: number; currency: string; region_code: string | null } | undefined;
  return receipt!.meta.changes === 1 && row ? row : null;
}
