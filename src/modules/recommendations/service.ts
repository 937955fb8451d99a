/**
 * Recommendations: "bought together" scores kept by the order-events consumer, topped up with the
 * category's best sellers; answers cached like the catalog (src/modules/catalog/cache.ts).
 */
import { notFound } from "../../lib/errors";
import { money } from "../../lib/money";
import { serveCached, type CacheAnswer, type ReadContext } from "../catalog/cache";
import { marketKey } from "../catalog/service";
import type { CatalogMarket } from "../markets/context";
import type { D1Like } from "../catalog/repo";
import * as repo from "./repo";
import type { RecommendedProduct, Recommendations } from "./schemas";

const BEST_SELLER_WINDOW_MS = 90 * 24 * 60 * 60 * 1000;

/** Adds the co-purchase scores of an order's products, once per order however often it is called. */
export async function recordCoPurchases(env: Env, orderId: string, now = Date.now()): Promise<{ applied: boolean }> {
  return { applied: await repo.addCoPurchases(env.DB, orderId, now) };
}

/**
 * A cancelled or refunded order gives its co-purchase scores back, once however often it is
 * called and in whatever order it meets `recordCoPurchases`: the net effect of an order that
 * ended is zero.
 */
export async function withdrawCoPurchases(env: Env, orderId: string, now = Date.now()): Promise<{ withdrawn: boolean }> {
  return { withdrawn: await repo.withdrawCoPurchases(env.DB, orderId, now) };
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

/** Top related products that can be bought now in the market, filled up with the category's best sellers. */
export async function computeRecommendations(db: D1Like, productId: string, limit: number, market: CatalogMarket, now = Date.now()): Promise<Recommendations> {
  const product = await repo.findLiveProduct(db, productId);
  if (!product) throw notFound("Product");
  const m = { currency: market.currency, locale: market.locale === market.defaultLocale ? null : market.locale };
  const related = (await repo.topRelated(db, productId, limit, m)).map((r) => toItem(r, "co_purchase"));
  if (related.length >= limit || !product.category_id) return { data: related };
  const exclude = [productId, ...related.map((r) => r.id)];
  const since = now - BEST_SELLER_WINDOW_MS;
  const sellers = await repo.categoryBestSellers(db, product.category_id, exclude, since, limit - related.length, m);
  return { data: [...related, ...sellers.map((r) => toItem(r, "category_best_seller"))] };
}

/**
 * The same recommendations for many products in at most two statements (batch loaders): the
 * related ids of every product, then best sellers of the categories that still need filling.
 * Each category's list is read one longer than `limit`, which is enough to fill any product's
 * gap after leaving out the product itself and what it already shows. Unknown products get none.
 */
export async function recommendationIdsFor(db: D1Like, productIds: readonly string[], limit: number, now = Date.now()): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (productIds.length === 0) return out;
  const sources = await repo.relatedForProducts(db, [...new Set(productIds)], limit);
  const short = sources.filter((s) => s.related.length < limit && s.categoryId);
  const categories = [...new Set(short.map((s) => s.categoryId!))];
  const sellers = categories.length ? await repo.bestSellersForCategories(db, categories, now - BEST_SELLER_WINDOW_MS, limit + 1) : new Map<string, string[]>();
  for (const { productId, categoryId, related } of sources) {
    const exclude = new Set([productId, ...related]);
    const fill = related.length < limit && categoryId ? (sellers.get(categoryId) ?? []).filter((id) => !exclude.has(id)) : [];
    out.set(productId, [...related, ...fill.slice(0, limit - related.length)]);
  }
  return out;
}

/**
 * Recommendations through the catalog's cache layers (LRU → KV → D1, per CACHE_MODE): the key
 * carries the catalog generation, so a catalog write retires every cached answer at once; score
 * and stock changes show within the catalog's freshness times.
 */
export function getRecommendations(ctx: ReadContext, productId: string, limit: number, market: CatalogMarket): Promise<CacheAnswer> {
  return serveCached(ctx, `${marketKey(market)}:recs:${productId}:${limit}`, (db) => computeRecommendations(db, productId, limit, market));
}
