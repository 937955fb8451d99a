/**
 * Store catalog reads. Each answer is built from one D1 statement and served through the tiered
 * cache (cache.ts); the cached value is the final JSON body, so a hit costs no serialization.
 */
import { AppError, validationError } from "../../lib/errors";
import type { CatalogMarket } from "../markets/context";
import { fromBase64Url, toBase64Url } from "../../lib/crypto";
import { serveCached, type CacheAnswer, type ReadContext } from "./cache";
import { toCategoryTree, toProduct } from "./mappers";
import * as repo from "./repo";
import type { Product, ProductListQuery, Sort } from "./schemas";

type Cursor = { s: Sort; v: [number | string, string] };

export function encodeCursor(cursor: Cursor): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify(cursor)));
}

function decodeCursor(raw: string, sort: Sort): Cursor["v"] {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(fromBase64Url(raw))) as Cursor;
    const [first, id] = parsed.v;
    if (parsed.s === sort && (typeof first === "number" || typeof first === "string") && typeof id === "string") {
      return [first, id];
    }
  } catch {
    // fall through to the one answer for any unreadable cursor
  }
  throw new AppError("VALIDATION_ERROR", "Invalid cursor for this query", 400);
}

/** Turns shopper text into an FTS5 query: each word a quoted prefix phrase, so no operator injection. */
export function toMatchExpression(q: string): string {
  const terms = q
    .split(/\s+/)
    .map((term) => term.replace(/[^\p{L}\p{N}_-]+/gu, ""))
    .filter((term) => /[\p{L}\p{N}]/u.test(term))
    .slice(0, 8);
  if (terms.length === 0) throw validationError([{ path: "q", message: "Search needs at least one letter or digit" }]);
  return terms.map((term) => `"${term}"*`).join(" ");
}

function listShape(query: ProductListQuery, market: CatalogMarket): repo.ListShape {
  const sort: Sort = query.sort ?? (query.q ? "relevance" : "newest");
  // Relevance without a search has nothing to rank by; newest is the honest fallback.
  const effective = sort === "relevance" && !query.q ? "newest" : sort;
  return {
    sort: effective,
    match: query.q ? toMatchExpression(query.q) : undefined,
    category: query.category,
    collection: query.collection,
    minPrice: query.minPrice,
    maxPrice: query.maxPrice,
    after: query.cursor ? decodeCursor(query.cursor, effective) : undefined,
    limit: query.limit,
    market,
  };
}

function cursorValue(row: repo.ProductRow, sort: Sort): number | string {
  if (sort === "newest") return row.created_at;
  if (sort === "relevance") return row.rank ?? 0;
  return row.list_price ?? 0;
}

/**
 * Loads one page as edges, each with the cursor that continues after it; fetches limit + 1 rows so
 * the presence of a next page needs no count query.
 */
export async function loadProductEdges(db: repo.D1Like, shape: repo.ListShape) {
  const rows = await repo.listProducts(db, { ...shape, limit: shape.limit + 1 });
  const edges = rows.slice(0, shape.limit).map((row) => ({
    cursor: encodeCursor({ s: shape.sort, v: [cursorValue(row, shape.sort), row.id] }),
    node: toProduct(row),
  }));
  return { edges, pageInfo: { hasNextPage: rows.length > shape.limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** Loads one page in the REST list shape `{data, nextCursor}`. */
export async function loadProductPage(db: repo.D1Like, shape: repo.ListShape) {
  const { edges, pageInfo } = await loadProductEdges(db, shape);
  return { data: edges.map((edge) => edge.node), nextCursor: pageInfo.hasNextPage ? pageInfo.endCursor : null };
}

const listKey = (shape: repo.ListShape) =>
  JSON.stringify([shape.sort, shape.match, shape.category, shape.collection, shape.minPrice, shape.maxPrice, shape.after, shape.limit]);

/**
 * The market part of every catalog cache key: the region (its currency decides the prices) and
 * the language. Two regions, or two languages, never share a cached answer.
 */
export const marketKey = (m: CatalogMarket) => `m:${m.region}:${m.currency}:${m.locale}`;

/** A page of active products for the store, cached per market and normalized query. */
export function listProducts(ctx: ReadContext, query: ProductListQuery, market: CatalogMarket): Promise<CacheAnswer> {
  const shape = listShape(query, market);
  return serveCached(ctx, `${marketKey(market)}:list:${listKey(shape)}`, (db) => loadProductPage(db, shape));
}

/** The same page as a connection `{edges:[{cursor, node}], pageInfo}` (GraphQL), through the same cache layers. */
export function listProductEdges(ctx: ReadContext, query: ProductListQuery, market: CatalogMarket): Promise<CacheAnswer> {
  const shape = listShape(query, market);
  return serveCached(ctx, `${marketKey(market)}:edges:${listKey(shape)}`, (db) => loadProductEdges(db, shape));
}

/** The connection page read straight from `db`, for an answer that is itself being cached. */
export function readProductEdges(db: repo.D1Like, query: ProductListQuery, market: CatalogMarket) {
  return loadProductEdges(db, listShape(query, market));
}

/** One active product by id or slug, or null, read from `db`. */
export async function readProduct(db: repo.D1Like, idOrSlug: string, market: CatalogMarket): Promise<Product | null> {
  const row = await repo.findStoreProduct(db, idOrSlug, market);
  return row ? toProduct(row) : null;
}

/** One active product by id or slug; the cache stores a miss as null so it becomes a 404. */
export async function getProduct(ctx: ReadContext, idOrSlug: string, market: CatalogMarket): Promise<CacheAnswer> {
  const answer = await serveCached(ctx, `${marketKey(market)}:detail:${idOrSlug}`, (db) => readProduct(db, idOrSlug, market));
  if (answer.body === "null") throw productNotFound();
  return answer;
}

export const productNotFound = () => new AppError("NOT_FOUND", "Product not found", 404);

/** Active products by id for batch loaders, read straight from D1 in one statement; missing ids are absent. */
export async function getStoreProducts(db: repo.D1Like, ids: readonly string[], market: CatalogMarket): Promise<Map<string, Product>> {
  const rows = await repo.findStoreProductsByIds(db, [...new Set(ids)], market);
  return new Map(rows.map((row) => [row.id, toProduct(row)]));
}

/** The live category tree (roots with their children), read from `db`. */
export async function readCategoryTree(db: repo.D1Like, market: CatalogMarket) {
  return { data: toCategoryTree(await repo.listLiveCategories(db, market)), nextCursor: null };
}

/** The live category tree, in the market's language. */
export function listCategories(ctx: ReadContext, market: CatalogMarket): Promise<CacheAnswer> {
  return serveCached(ctx, `${marketKey(market)}:categories`, (db) => readCategoryTree(db, market));
}

/** Live collections, read from `db`. */
export async function readCollections(db: repo.D1Like, market: CatalogMarket) {
  const rows = await repo.listLiveCollections(db, market);
  return { data: rows.map((row) => ({ id: row.id, slug: row.slug, title: row.title, description: row.description })), nextCursor: null };
}

/** Live collections, in the market's language. */
export function listCollections(ctx: ReadContext, market: CatalogMarket): Promise<CacheAnswer> {
  return serveCached(ctx, `${marketKey(market)}:collections`, (db) => readCollections(db, market));
}
