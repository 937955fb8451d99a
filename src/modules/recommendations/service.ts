/**
 * Recommendations: "bought together" scores kept by the order-events consumer, topped up with the
 * category's best sellers; answers cached in KV under the catalog generation for 5 minutes.
 */
import { getConfig } from "../../env";
import { notFound } from "../../http/errors";
import { money } from "../../lib/money";
import * as repo from "./repo";
import type { RecommendedProduct, Recommendations } from "./schemas";

const BEST_SELLER_WINDOW_MS = 90 * 24 * 60 * 60 * 1000;
const CACHE_TTL_SECONDS = 300;

/** Adds the co-purchase scores of an order's products, once per order however often it is called. */
export async function recordCoPurchases(env: Env, orderId: string, now = Date.now()): Promise<{ applied: boolean }> {
  return { applied: await repo.addCoPurchases(env.DB, orderId, now) };
}

function toItem(row: repo.CandidateRow, source: RecommendedProduct["source"]): RecommendedProduct {
  const min = row.min_price ?? 0;
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    priceRange: { min: money(min, row.currency), max: money(row.max_price ?? min, row.currency) },
    score: row.score,
    source,
  };
}

/** Top related products that can be bought now, filled up with the category's best sellers. */
export async function computeRecommendations(env: Env, productId: string, limit: number, now = Date.now()): Promise<Recommendations> {
  const product = await repo.findLiveProduct(env.DB, productId);
  if (!product) throw notFound("Product");
  const related = (await repo.topRelated(env.DB, productId, limit)).map((r) => toItem(r, "co_purchase"));
  if (related.length >= limit || !product.category_id) return { data: related };
  const exclude = [productId, ...related.map((r) => r.id)];
  const since = now - BEST_SELLER_WINDOW_MS;
  const sellers = await repo.categoryBestSellers(env.DB, product.category_id, exclude, since, limit - related.length);
  return { data: [...related, ...sellers.map((r) => toItem(r, "category_best_seller"))] };
}

export type CachedAnswer<T> = { value: T; cache: "HIT-KV" | "MISS" };

/**
 * Recommendations through KV. The key carries the catalog generation, so a catalog write (which
 * bumps `catalog:gen`) retires every cached answer at once; stock changes show within the TTL.
 */
export async function getRecommendations(env: Env, productId: string, limit: number): Promise<CachedAnswer<Recommendations>> {
  const mode = getConfig(env).CACHE_MODE;
  if (mode !== "kv" && mode !== "tiered") return { value: await computeRecommendations(env, productId, limit), cache: "MISS" };
  const generation = (await env.CACHE.get("catalog:gen")) ?? "0";
  const key = `recs:v1:${generation}:${productId}:${limit}`;
  const hit = await env.CACHE.get<Recommendations>(key, "json");
  if (hit) return { value: hit, cache: "HIT-KV" };
  const value = await computeRecommendations(env, productId, limit);
  await env.CACHE.put(key, JSON.stringify(value), { expirationTtl: CACHE_TTL_SECONDS });
  return { value, cache: "MISS" };
}
