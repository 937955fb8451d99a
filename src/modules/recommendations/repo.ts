/** D1 access for co-purchase scores and the recommendation queries. */
import type { D1Like } from "../catalog/repo";

export type CandidateRow = {
  id: string;
  slug: string;
  title: string;
  min_price: number | null;
  max_price: number | null;
  currency: string;
  score: number;
};

/** Receipt of an order's co-purchase addition, and of its withdrawal (cancel or refund). */
const AFFINITY_CONSUMER = "affinity";
const WITHDRAWN_CONSUMER = "affinity-withdrawn";

/** Every ordered pair of distinct products in order ?2 (two variants of one product count once). */
const ORDER_PAIRS = `SELECT DISTINCT a.product_id, b.product_id
  FROM order_items a JOIN order_items b ON b.order_id = a.order_id AND b.product_id <> a.product_id
  WHERE a.order_id = ?2`;

// Shown products are active, not deleted, and have a live variant with stock to sell.
const SHOWABLE = `p.status = 'active' AND p.deleted_at IS NULL AND EXISTS (
  SELECT 1 FROM product_variants v JOIN inventory_levels l ON l.variant_id = v.id
  WHERE v.product_id = p.id AND v.deleted_at IS NULL AND l.on_hand - l.reserved > 0)`;

/**
 * A recommended product as the market shows it (markets): its title in the market's language
 * (else its own) and its price range in the market's currency. The statements using these start
 * with the one-row `market` CTE (catalog/repo MARKET_CTE) and list only products priced there.
 */
const SUMMARY_COLUMNS = `p.id, p.slug,
  coalesce((SELECT t.title FROM translations t WHERE t.entity_type = 'product' AND t.entity_id = p.id AND t.locale = (SELECT loc FROM market)), p.title) AS title,
  (SELECT cur FROM market) AS currency, pp.min_amount AS min_price, pp.max_amount AS max_price`;
const PRICED = "JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = (SELECT cur FROM market)";

/**
 * Adds 1 to the score of every ordered pair of distinct products in the order, once per order:
 * the upsert is guarded by the receipt and writes it in the same batch (one transaction), so a
 * redelivered message finds the receipt and changes nothing. An order whose scores were withdrawn
 * already (its cancel event overtook the placed one) adds nothing. Returns whether this call
 * wrote the receipt.
 */
export async function addCoPurchases(d1: D1Database, orderId: string, now: number): Promise<boolean> {
  // The WHERE clause also keeps SQLite from reading ON CONFLICT as a join's ON (its upsert
  // parsing quirk).
  const pairs = d1
    .prepare(
      `INSERT INTO product_affinity (product_id, related_product_id, score, updated_at)
       SELECT DISTINCT a.product_id, b.product_id, 1, ?1
       FROM order_items a JOIN order_items b ON b.order_id = a.order_id AND b.product_id <> a.product_id
       WHERE a.order_id = ?2
         AND NOT EXISTS (SELECT 1 FROM event_receipts WHERE consumer IN (?3, ?4) AND event_key = ?2)
       ON CONFLICT (product_id, related_product_id) DO UPDATE SET score = score + 1, updated_at = excluded.updated_at`,
    )
    .bind(now, orderId, AFFINITY_CONSUMER, WITHDRAWN_CONSUMER);
  const receipt = d1
    .prepare("INSERT INTO event_receipts (consumer, event_key, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
    .bind(AFFINITY_CONSUMER, orderId, now);
  const [, written] = await d1.batch([pairs, receipt]);
  return written!.meta.changes === 1;
}

/**
 * Takes back what `addCoPurchases` gave for a cancelled or refunded order: 1 from each of its
 * pairs, only if the addition was applied, at most once (guarded by the withdrawal receipt written
 * in the same batch), never below zero; pairs left at zero are removed. When the cancel is seen
 * first, the receipt alone is written, and the late addition then finds it and adds nothing.
 * Returns whether this call wrote the receipt.
 */
export async function withdrawCoPurchases(d1: D1Database, orderId: string, now: number): Promise<boolean> {
  const pairs = d1
    .prepare(
      `UPDATE product_affinity SET score = MAX(0, score - 1), updated_at = ?1
       WHERE (product_id, related_product_id) IN (${ORDER_PAIRS})
         AND EXISTS (SELECT 1 FROM event_receipts WHERE consumer = ?3 AND event_key = ?2)
         AND NOT EXISTS (SELECT 1 FROM event_receipts WHERE consumer = ?4 AND event_key = ?2)`,
    )
    .bind(now, orderId, AFFINITY_CONSUMER, WITHDRAWN_CONSUMER);
  const emptied = d1
    .prepare(`DELETE FROM product_affinity WHERE score <= 0 AND (product_id, related_product_id) IN (${ORDER_PAIRS})`)
    .bind(now, orderId);
  const receipt = d1
    .prepare("INSERT INTO event_receipts (consumer, event_key, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
    .bind(WITHDRAWN_CONSUMER, orderId, now);
  const [, , written] = await d1.batch([pairs, emptied, receipt]);
  return written!.meta.changes === 1;
}

export function findLiveProduct(d1: D1Like, productId: string) {
  return d1
    .prepare("SELECT id, category_id FROM products WHERE id = ? AND status = 'active' AND deleted_at IS NULL")
    .bind(productId)
    .first<{ id: string; category_id: string | null }>();
}

// CROSS JOIN pins the join order: walk this product's scores by index, then look products up.
// Without table statistics SQLite would otherwise scan every active product first.
// Parameters: product id, limit, currency, locale.
export const TOP_RELATED_SQL = `WITH market(cur, loc) AS (SELECT ?3, ?4) SELECT ${SUMMARY_COLUMNS}, a.score AS score
  FROM product_affinity a CROSS JOIN products p ON p.id = a.related_product_id ${PRICED}
  WHERE a.product_id = ?1 AND p.id <> a.product_id AND ${SHOWABLE}
  ORDER BY a.score DESC, p.id LIMIT ?2`;

export type Market = { currency: string; locale: string | null };

export async function topRelated(d1: D1Like, productId: string, limit: number, market: Market) {
  const { results } = await d1
    .prepare(TOP_RELATED_SQL)
    .bind(productId, limit, market.currency, market.locale)
    .all<CandidateRow>();
  return results;
}

/** Best sellers of a category over the window (cancelled and refunded orders excluded), priced in the market's currency. */
export async function categoryBestSellers(d1: D1Like, categoryId: string, exclude: string[], since: number, limit: number, market: Market) {
  const { results } = await d1
    .prepare(
      `WITH market(cur, loc) AS (SELECT ?5, ?6) SELECT ${SUMMARY_COLUMNS}, 0 AS score
       FROM products p ${PRICED} JOIN order_items i ON i.product_id = p.id JOIN orders o ON o.id = i.order_id
       WHERE p.category_id = ?1 AND p.id NOT IN (SELECT value FROM json_each(?2))
         AND o.created_at >= ?3 AND o.status NOT IN ('cancelled', 'refunded') AND ${SHOWABLE}
       GROUP BY p.id ORDER BY SUM(i.quantity) DESC, p.id LIMIT ?4`,
    )
    .bind(categoryId, JSON.stringify(exclude), since, limit, market.currency, market.locale)
    .all<CandidateRow>();
  return results;
}

/**
 * For many products at once (one statement): each live source product's category and the ids of
 * its top related showable products, folded into JSON by a correlated subquery that is
 * TOP_RELATED_SQL per source. Ids travel as one JSON parameter.
 */
export const RELATED_FOR_PRODUCTS_SQL = `SELECT src.id AS product_id, src.category_id AS category_id,
  (SELECT json_group_array(x.id) FROM (
     SELECT p.id FROM product_affinity a CROSS JOIN products p ON p.id = a.related_product_id
     WHERE a.product_id = src.id AND p.id <> a.product_id AND ${SHOWABLE}
     ORDER BY a.score DESC, p.id LIMIT ?2) x) AS related_json
  FROM json_each(?1) ids CROSS JOIN products src ON src.id = ids.value
  WHERE src.status = 'active' AND src.deleted_at IS NULL`;

export async function relatedForProducts(d1: D1Like, productIds: readonly string[], limit: number) {
  const { results } = await d1
    .prepare(RELATED_FOR_PRODUCTS_SQL)
    .bind(JSON.stringify(productIds), limit)
    .all<{ product_id: string; category_id: string | null; related_json: string }>();
  return results.map((r) => ({ productId: r.product_id, categoryId: r.category_id, related: JSON.parse(r.related_json) as string[] }));
}

/** Best sellers of many categories (one statement): the ids of each category's top `limit`, best first. */
export const BEST_SELLERS_FOR_CATEGORIES_SQL = `SELECT cats.value AS category_id, (SELECT json_group_array(x.id) FROM (
     SELECT p.id FROM products p JOIN order_items i ON i.product_id = p.id JOIN orders o ON o.id = i.order_id
     WHERE p.category_id = cats.value AND o.created_at >= ?2 AND o.status NOT IN ('cancelled', 'refunded') AND ${SHOWABLE}
     GROUP BY p.id ORDER BY SUM(i.quantity) DESC, p.id LIMIT ?3) x) AS ids_json
  FROM json_each(?1) cats`;

export async function bestSellersForCategories(d1: D1Like, categoryIds: readonly string[], since: number, limit: number) {
  const { results } = await d1
    .prepare(BEST_SELLERS_FOR_CATEGORIES_SQL)
    .bind(JSON.stringify(categoryIds), since, limit)
    .all<{ category_id: string; ids_json: string }>();
  return new Map(results.map((r) => [r.category_id, JSON.parse(r.ids_json) as string[]]));
}
