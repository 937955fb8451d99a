/**
 * Reviews: verified buyers write one review per product; automatic rules reject empty or abusive
 * text at once, admins approve or reject the rest; approved reviews make up the product's rating.
 */
import { conflict, forbidden, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import type { D1Like } from "../catalog/repo";
import { moderate } from "./moderation";
import * as repo from "./repo";
import type { CreateReviewBody, Review, ReviewCursor, ReviewStatus } from "./schemas";

const AUTO_REJECTION_NOTES = { empty: "Automatically rejected: the review has no text", abusive: "Automatically rejected: abusive language" };

/** The answer shape: the author by name only, never their email or id. */
export function toReview(row: repo.ReviewRow): Review {
  return {
    id: row.id,
    productId: row.product_id,
    rating: row.rating,
    title: row.title,
    body: row.body,
    status: row.status,
    verifiedPurchase: row.verified_purchase === 1,
    moderationNote: row.moderation_note,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    author: { name: row.author_name },
  };
}

/** Submits a customer's review: 404 unknown product, 403 without a delivered purchase, 409 if one exists. */
export async function submitReview(env: Env, customerId: string, productId: string, input: CreateReviewBody, now = Date.now()) {
  if (!(await repo.findLiveProduct(env.DB, productId))) throw notFound("Product");
  const orderId = await repo.findDeliveredPurchase(env.DB, customerId, productId);
  if (!orderId) throw forbidden("Only customers with a delivered purchase of this product can review it");
  const verdict = moderate(input);
  const id = await repo.insertOrReplaceRejected(env.DB, {
    id: newId("rev", now),
    product_id: productId,
    customer_id: customerId,
    order_id: orderId,
    rating: input.rating,
    title: input.title.trim(),
    body: input.body.trim(),
    status: verdict.ok ? "pending" : "rejected",
    verified_purchase: 1,
    moderation_note: verdict.ok ? null : AUTO_REJECTION_NOTES[verdict.reason],
    created_at: now,
  });
  if (!id) throw conflict("You have already reviewed this product");
  return toReview((await repo.findReview(env.DB, id))!);
}

export type ReviewPage = { rows: repo.ReviewRow[]; next: ReviewCursor | null };

function toPage(rows: repo.ReviewRow[], limit: number): ReviewPage {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > limit && last ? { c: last.created_at, id: last.id } : null };
}

/** Approved reviews of an active product, newest first. */
export async function listProductReviews(env: Env, productId: string, after: ReviewCursor | null, limit: number) {
  const product = await repo.findLiveProduct(env.DB, productId);
  if (product?.status !== "active") throw notFound("Product");
  return toPage(await repo.listApprovedForProduct(env.DB, productId, after, limit + 1), limit);
}

/** The newest `limit` approved reviews of each product, for batch loaders (one statement for all products). */
export async function approvedReviewsOfProducts(db: D1Like, productIds: readonly string[], limit: number): Promise<Map<string, Review[]>> {
  const rows = await repo.listApprovedForProducts(db, [...new Set(productIds)], limit);
  return new Map([...rows].map(([productId, list]) => [productId, list.map(toReview)]));
}

/** Reviews for moderation, optionally by status, newest first. */
export async function listReviewsForModeration(env: Env, status: ReviewStatus | undefined, after: ReviewCursor | null, limit: number) {
  return toPage(await repo.listForModeration(env.DB, status, after, limit + 1), limit);
}

/**
 * Moves a review to `approved` or `rejected`, changing the product's rating exactly once: a
 * repeated transition is a no-op, and a racing one is resolved by the conditional batch.
 */
export async function moderateReview(env: Env, id: string, to: "approved" | "rejected", reason?: string, now = Date.now()) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const row = await repo.findReview(env.DB, id);
    if (!row) throw notFound("Review");
    if (row.status === to) return toReview(row);
    const note = to === "rejected" ? (reason ?? "Rejected by a moderator") : null;
    if (await repo.transition(env.DB, id, row.status, to, note, now)) return toReview((await repo.findReview(env.DB, id))!);
  }
  throw conflict("The review changed concurrently; try again");
}

/** Rating summaries `{average, count}` of products, for product answers (approved reviews only). */
export async function ratingSummaries(env: Env, productIds: string[]) {
  const stats = await repo.findRatings(env.DB, [...new Set(productIds)]);
  return new Map(
    productIds.map((id) => {
      const s = stats.get(id);
      const average = s && s.count > 0 ? Math.round((s.sum / s.count) * 100) / 100 : null;
      return [id, { average, count: s?.count ?? 0 }] as const;
    }),
  );
}
