/** D1 access for reviews and rating stats. Status changes and rating changes commit together. */
import type { D1Like } from "../catalog/repo";
import type { ReviewCursor, ReviewStatus } from "./schemas";

export type ReviewRow = {
  id: string;
  product_id: string;
  customer_id: string;
  order_id: string | null;
  rating: number;
  title: string;
  body: string;
  status: ReviewStatus;
  verified_purchase: number;
  moderation_note: string | null;
  created_at: number;
  updated_at: number;
  author_name: string;
};

export type NewReview = Omit<ReviewRow, "author_name" | "updated_at">;

const SELECT_REVIEW = `SELECT r.*, u.name AS author_name FROM reviews r JOIN users u ON u.id = r.customer_id`;

export function findLiveProduct(d1: D1Database, productId: string) {
  return d1
    .prepare("SELECT id, status FROM products WHERE id = ? AND deleted_at IS NULL")
    .bind(productId)
    .first<{ id: string; status: string }>();
}

/** A delivered order of this customer that contains the product: the proof of purchase. */
export async function findDeliveredPurchase(d1: D1Database, customerId: string, productId: string) {
  const row = await d1
    .prepare(
      `SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id
       WHERE o.customer_id = ? AND o.status = 'delivered' AND i.product_id = ? LIMIT 1`,
    )
    .bind(customerId, productId)
    .first<{ id: string }>();
  return row?.id ?? null;
}

/**
 * Inserts the customer's review of a product, or replaces their rejected one (a rejected review
 * never counted in the ratings, so replacing it is safe). Null when a live review already exists.
 */
export async function insertOrReplaceRejected(d1: D1Database, review: NewReview): Promise<string | null> {
  const row = await d1
    .prepare(
      `INSERT INTO reviews (id, product_id, customer_id, order_id, rating, title, body, status, verified_purchase,
         moderation_note, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (product_id, customer_id) DO UPDATE SET order_id = excluded.order_id, rating = excluded.rating,
         title = excluded.title, body = excluded.body, status = excluded.status,
         verified_purchase = excluded.verified_purchase, moderation_note = excluded.moderation_note,
         created_at = excluded.created_at, updated_at = excluded.updated_at
       WHERE reviews.status = 'rejected'
       RETURNING id`,
    )
    .bind(
      review.id, review.product_id, review.customer_id, review.order_id, review.rating, review.title, review.body,
      review.status, review.verified_purchase, review.moderation_note, review.created_at, review.created_at,
    )
    .first<{ id: string }>();
  return row?.id ?? null;
}

export function findReview(d1: D1Database, id: string) {
  return d1.prepare(`${SELECT_REVIEW} WHERE r.id = ?`).bind(id).first<ReviewRow>();
}

function keyset(after: ReviewCursor | null): { clause: string; binds: unknown[] } {
  if (!after) return { clause: "", binds: [] };
  return { clause: " AND (r.created_at < ? OR (r.created_at = ? AND r.id < ?))", binds: [after.c, after.c, after.id] };
}

export async function listApprovedForProduct(d1: D1Database, productId: string, after: ReviewCursor | null, limit: number) {
  const page = keyset(after);
  const { results } = await d1
    .prepare(
      `${SELECT_REVIEW} WHERE r.product_id = ? AND r.status = 'approved'${page.clause}
       ORDER BY r.created_at DESC, r.id DESC LIMIT ?`,
    )
    .bind(productId, ...page.binds, limit)
    .all<ReviewRow>();
  return results;
}

/**
 * The newest approved reviews of many products in ONE statement: each product's reviews are folded
 * into a JSON array by a correlated subquery walking reviews_product_idx with its own LIMIT, and
 * the product ids travel as one JSON parameter (so no bound-parameter limit splits a page).
 */
export const APPROVED_FOR_PRODUCTS_SQL = `SELECT ids.value AS product_id, (SELECT json_group_array(json_object(
    'id', x.id, 'product_id', x.product_id, 'customer_id', x.customer_id, 'order_id', x.order_id, 'rating', x.rating,
    'title', x.title, 'body', x.body, 'status', x.status, 'verified_purchase', x.verified_purchase,
    'moderation_note', x.moderation_note, 'created_at', x.created_at, 'updated_at', x.updated_at, 'author_name', x.author_name))
  FROM (SELECT r.*, u.name AS author_name FROM reviews r JOIN users u ON u.id = r.customer_id
        WHERE r.product_id = ids.value AND r.status = 'approved' ORDER BY r.created_at DESC, r.id DESC LIMIT ?2) x) AS reviews_json
  FROM json_each(?1) ids`;

export async function listApprovedForProducts(d1: D1Like, productIds: readonly string[], limit: number): Promise<Map<string, ReviewRow[]>> {
  if (productIds.length === 0) return new Map();
  const { results } = await d1
    .prepare(APPROVED_FOR_PRODUCTS_SQL)
    .bind(JSON.stringify(productIds), limit)
    .all<{ product_id: string; reviews_json: string }>();
  return new Map(results.map((r) => [r.product_id, JSON.parse(r.reviews_json) as ReviewRow[]]));
}

export async function listForModeration(d1: D1Database, status: ReviewStatus | undefined, after: ReviewCursor | null, limit: number) {
  const page = keyset(after);
  const filter = status ? "r.status = ?" : "1 = 1";
  const { results } = await d1
    .prepare(`${SELECT_REVIEW} WHERE ${filter}${page.clause} ORDER BY r.created_at DESC, r.id DESC LIMIT ?`)
    .bind(...(status ? [status] : []), ...page.binds, limit)
    .all<ReviewRow>();
  return results;
}

/** The rating change a status transition makes: +1 into approved, -1 out of it, else none. */
export function ratingDelta(from: ReviewStatus, to: ReviewStatus): -1 | 0 | 1 {
  if (from === to) return 0;
  if (to === "approved") return 1;
  return from === "approved" ? -1 : 0;
}

/**
 * Moves a review from `from` to `to` and adjusts its product's rating in one batch (one
 * transaction). Both statements are conditional on the review still being in `from`, so a
 * repeated or racing transition changes nothing. Returns whether this call made the transition.
 */
export async function transition(
  d1: D1Database,
  id: string,
  from: ReviewStatus,
  to: ReviewStatus,
  note: string | null,
  now: number,
): Promise<boolean> {
  const delta = ratingDelta(from, to);
  const move = d1
    .prepare("UPDATE reviews SET status = ?, moderation_note = ?, updated_at = ? WHERE id = ? AND status = ?")
    .bind(to, note, now, id, from);
  const statements: D1PreparedStatement[] = [];
  if (delta === 1) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO product_ratings (product_id, rating_count, rating_sum, updated_at)
           SELECT product_id, 1, rating, ? FROM reviews WHERE id = ? AND status = ?
           ON CONFLICT (product_id) DO UPDATE SET rating_count = rating_count + 1,
             rating_sum = rating_sum + excluded.rating_sum, updated_at = excluded.updated_at`,
        )
        .bind(now, id, from),
    );
  } else if (delta === -1) {
    statements.push(
      d1
        .prepare(
          `UPDATE product_ratings SET rating_count = rating_count - 1,
             rating_sum = rating_sum - (SELECT rating FROM reviews WHERE id = ?1), updated_at = ?2
           WHERE product_id = (SELECT product_id FROM reviews WHERE id = ?1 AND status = ?3)`,
        )
        .bind(id, now, from),
    );
  }
  // The rating statement runs first: it must still see the review in `from`.
  const results = await d1.batch([...statements, move]);
  return results.at(-1)!.meta.changes === 1;
}

export async function findRatings(d1: D1Database, productIds: string[]) {
  const out = new Map<string, { count: number; sum: number }>();
  for (let i = 0; i < productIds.length; i += 90) {
    const chunk = productIds.slice(i, i + 90);
    const { results } = await d1
      .prepare(`SELECT product_id, rating_count, rating_sum FROM product_ratings WHERE product_id IN (${chunk.map(() => "?").join(",")})`)
      .bind(...chunk)
      .all<{ product_id: string; rating_count: number; rating_sum: number }>();
    for (const r of results) out.set(r.product_id, { count: r.rating_count, sum: r.rating_sum });
  }
  return out;
}
