/**
 * Store-side catalog SQL. A product list or a product detail is exactly ONE D1 statement: the
 * variants (with stock from inventory_levels) are folded into each row by a correlated subquery
 * that walks product_variants_product_idx, and category and rating come from joins. So a page of
 * 100 products costs one round trip, never 1 + N (test/integration/catalog-queries.test.ts).
 */
import type { ProductListQuery, Sort } from "./schemas";

/** What a market means for catalog reads and their cache keys: the currency and the language (markets/context makes it). */
export type CatalogMarket = { region: string; currency: string; locale: string; defaultLocale: string };

/** D1Database and D1DatabaseSession both satisfy this, so reads can run inside a session. */
export type D1Like = Pick<D1Database, "prepare" | "batch">;

export type ProductRow = {
  id: string;
  slug: string;
  title: string;
  description: string;
  status: "draft" | "active" | "archived";
  tax_rate_bps: number;
  tax_category: string;
  min_price: number | null;
  max_price: number | null;
  currency: string;
  created_at: number;
  cat_id: string | null;
  cat_slug: string | null;
  cat_name: string | null;
  rating_count: number | null;
  rating_sum: number | null;
  variants_json: string;
  /** List queries: the product's lowest price in the page's currency (the price sorts' key). */
  list_price?: number;
  rank?: number;
};

/**
 * Every catalog statement starts with this one-row CTE: the currency prices are shown in and the
 * locale of the text (NULLs: each variant's own currency, the catalog's own text — the admin view).
 */
export const MARKET_CTE = "market(cur, loc) AS (SELECT ?, ?)";

/** The CTE's parameters for a market (a locale equal to the default reads the rows' own text). */
export function marketParams(market: CatalogMarket | null): [string | null, string | null] {
  if (!market) return [null, null];
  return [market.currency, market.locale === market.defaultLocale ? null : market.locale];
}

const translated = (kind: string, idColumn: string, field: "title" | "description", fallback: string) =>
  `coalesce((SELECT t.${field} FROM translations t WHERE t.entity_type = '${kind}' AND t.entity_id = ${idColumn}
     AND t.locale = (SELECT loc FROM market)), ${fallback})`;

/** A variant's price in the market's currency (its own price with no currency asked; NULL: not sold in it). */
const VARIANT_PRICE = `CASE WHEN m.cur IS NULL OR pv.currency = m.cur THEN pv.price
  ELSE (SELECT vp.amount FROM variant_prices vp WHERE vp.variant_id = pv.id AND vp.currency = m.cur) END`;

export const PRODUCT_COLUMNS = `products.id, products.slug, ${translated("product", "products.id", "title", "products.title")} AS title,
  ${translated("product", "products.id", "description", "products.description")} AS description, products.status,
  products.tax_rate_bps, products.tax_category, products.min_price, products.max_price, products.currency, products.created_at,
  c.id AS cat_id, c.slug AS cat_slug, ${translated("category", "c.id", "title", "c.name")} AS cat_name, r.rating_count, r.rating_sum,
  (SELECT json_group_array(json(x.v)) FROM (
     SELECT json_object('id', pv.id, 'sku', pv.sku, 'title', ${translated("variant", "pv.id", "title", "pv.title")},
       'options', json(pv.options), 'price', ${VARIANT_PRICE}, 'currency', coalesce(m.cur, pv.currency),
       'prices', json_insert((SELECT json_group_array(json_object('amount', vp.amount, 'currency', vp.currency)) FROM variant_prices vp
                              WHERE vp.variant_id = pv.id AND vp.currency <> pv.currency), '$[#]', json_object('amount', pv.price, 'currency', pv.currency)),
       'weightGrams', pv.weight_grams, 'requiresShipping', pv.requires_shipping, 'version', pv.version,
       'available', max(coalesce(il.on_hand, 0) - coalesce(il.reserved, 0), 0)) AS v
     FROM product_variants pv JOIN market m LEFT JOIN inventory_levels il ON il.variant_id = pv.id
     WHERE pv.product_id = products.id AND pv.deleted_at IS NULL
     ORDER BY pv.position, pv.id) x) AS variants_json`;

export const PRODUCT_JOINS = `LEFT JOIN categories c ON c.id = products.category_id AND c.deleted_at IS NULL
  LEFT JOIN product_ratings r ON r.product_id = products.id`;

/** Keyset order per sort: the columns a cursor carries and the direction of the walk. */
const ORDERS: Record<Sort, { cols: [string, string]; desc: boolean }> = {
  newest: { cols: ["products.created_at", "products.id"], desc: true },
  price_asc: { cols: ["pp.min_amount", "products.id"], desc: false },
  price_desc: { cols: ["pp.min_amount", "products.id"], desc: true },
  relevance: { cols: ["hits.rank", "products.id"], desc: false },
};

export type ListShape = Omit<ProductListQuery, "cursor" | "limit" | "q" | "sort"> & {
  sort: Sort;
  match?: string;
  after?: [number | string, string];
  limit: number;
  /** The market the page is for; its currency decides which products are listed and their price order. */
  market: CatalogMarket;
};

/**
 * Search hits: the catalog's own text, and in another locale also that locale's translations,
 * best rank per product. The FTS tables drive; every hit is then a rowid or key lookup.
 */
function searchSource(shape: ListShape, params: unknown[]): string {
  const locale = marketParams(shape.market)[1];
  if (!locale) {
    params.push(shape.match);
    return "(SELECT product_id, rank FROM products_fts WHERE products_fts MATCH ?) hits";
  }
  params.push(shape.match, shape.match, locale);
  return `(SELECT product_id, min(rank) AS rank FROM (
      SELECT product_id, rank FROM products_fts WHERE products_fts MATCH ?
      UNION ALL SELECT product_id, rank FROM product_translations_fts WHERE product_translations_fts MATCH ? AND locale = ?)
    GROUP BY product_id) hits`;
}

/** Builds the one statement for a store product list; exported so the query-plan test can EXPLAIN it. */
export function buildProductListSql(shape: ListShape): { sql: string; params: unknown[] } {
  const ctes = [MARKET_CTE];
  const head: unknown[] = [...marketParams(shape.market)];
  const params: unknown[] = [];
  const where = ["products.status = 'active'", "products.deleted_at IS NULL"];
  let from = "products";
  if (shape.match) from = `${searchSource(shape, params)} JOIN products ON products.id = hits.product_id`;
  // A product is listed in a currency when a live variant has a price in it (product_prices).
  from += " JOIN product_prices pp ON pp.product_id = products.id AND pp.currency = ?";
  params.push(shape.market.currency);
  if (shape.category) {
    ctes.push(`sub(id) AS (
      SELECT id FROM categories WHERE (id = ? OR slug = ?) AND deleted_at IS NULL
      UNION SELECT categories.id FROM categories JOIN sub ON categories.parent_id = sub.id
      WHERE categories.deleted_at IS NULL)`);
    head.push(shape.category, shape.category);
    where.push("products.category_id IN (SELECT id FROM sub)");
  }
  if (shape.collection) {
    where.push(`products.id IN (SELECT pc.product_id FROM product_collections pc
      WHERE pc.collection_id = (SELECT id FROM collections WHERE (id = ? OR slug = ?) AND deleted_at IS NULL))`);
    params.push(shape.collection, shape.collection);
  }
  if (shape.minPrice !== undefined) {
    where.push("pp.min_amount >= ?");
    params.push(shape.minPrice);
  }
  if (shape.maxPrice !== undefined) {
    where.push("pp.min_amount <= ?");
    params.push(shape.maxPrice);
  }
  const order = ORDERS[shape.sort];
  if (shape.after) {
    where.push(`(${order.cols[0]}, ${order.cols[1]}) ${order.desc ? "<" : ">"} (?, ?)`);
    params.push(shape.after[0], shape.after[1]);
  }
  const dir = order.desc ? "DESC" : "ASC";
  const rank = shape.match ? ", hits.rank AS rank" : "";
  const sql = `WITH RECURSIVE ${ctes.join(", ")} SELECT ${PRODUCT_COLUMNS}, pp.min_amount AS list_price${rank} FROM ${from} ${PRODUCT_JOINS}
    WHERE ${where.join(" AND ")} ORDER BY ${order.cols[0]} ${dir}, ${order.cols[1]} ${dir} LIMIT ?`;
  return { sql, params: [...head, ...params, shape.limit] };
}

export async function listProducts(db: D1Like, shape: ListShape): Promise<ProductRow[]> {
  const { sql, params } = buildProductListSql(shape);
  return (await db.prepare(sql).bind(...params).all<ProductRow>()).results;
}

const detailSql = (column: "id" | "slug") => `WITH ${MARKET_CTE} SELECT ${PRODUCT_COLUMNS} FROM products ${PRODUCT_JOINS}
  WHERE products.${column} = ? AND products.status = 'active' AND products.deleted_at IS NULL`;
/** By id and by slug: two plain unique-index lookups (an `id = ? OR slug = ?` plan is slower). Parameters: currency, locale, key. */
export const PRODUCT_DETAIL_SQL = { id: detailSql("id"), slug: detailSql("slug") };

export async function findStoreProduct(db: D1Like, idOrSlug: string, market: CatalogMarket): Promise<ProductRow | null> {
  const m = marketParams(market);
  // Slugs are lowercase words, so a "prod_" key is an id; a miss by id still tries the slug.
  if (idOrSlug.startsWith("prod_")) {
    const byId = await db.prepare(PRODUCT_DETAIL_SQL.id).bind(...m, idOrSlug).first<ProductRow>();
    if (byId) return byId;
  }
  return db.prepare(PRODUCT_DETAIL_SQL.slug).bind(...m, idOrSlug).first<ProductRow>();
}

/**
 * Active products by id in ONE statement however many ids (they travel as one JSON parameter, so
 * D1's limit on bound parameters never splits the batch); ids not found are simply missing.
 * Parameters: currency, locale, the ids as JSON.
 */
export const PRODUCTS_BY_IDS_SQL = `WITH ${MARKET_CTE} SELECT ${PRODUCT_COLUMNS} FROM products ${PRODUCT_JOINS}
  WHERE products.id IN (SELECT value FROM json_each(?)) AND products.status = 'active' AND products.deleted_at IS NULL`;

export async function findStoreProductsByIds(db: D1Like, ids: readonly string[], market: CatalogMarket): Promise<ProductRow[]> {
  if (ids.length === 0) return [];
  return (await db.prepare(PRODUCTS_BY_IDS_SQL).bind(...marketParams(market), JSON.stringify(ids)).all<ProductRow>()).results;
}

export type CategoryRow = {
  id: string;
  parent_id: string | null;
  slug: string;
  name: string;
  description: string | null;
  position: number;
};

export async function listLiveCategories(db: D1Like, market: CatalogMarket): Promise<CategoryRow[]> {
  const sql = `WITH ${MARKET_CTE} SELECT id, parent_id, slug, ${translated("category", "categories.id", "title", "name")} AS name,
      ${translated("category", "categories.id", "description", "description")} AS description, position FROM categories
    WHERE deleted_at IS NULL ORDER BY position, name LIMIT 1000`;
  return (await db.prepare(sql).bind(...marketParams(market)).all<CategoryRow>()).results;
}

export type CollectionRow = { id: string; slug: string; title: string; description: string | null };

export async function listLiveCollections(db: D1Like, market: CatalogMarket): Promise<CollectionRow[]> {
  const sql = `WITH ${MARKET_CTE} SELECT id, slug, ${translated("collection", "collections.id", "title", "title")} AS title,
      ${translated("collection", "collections.id", "description", "description")} AS description
    FROM collections WHERE deleted_at IS NULL ORDER BY title LIMIT 1000`;
  return (await db.prepare(sql).bind(...marketParams(market)).all<CollectionRow>()).results;
}
