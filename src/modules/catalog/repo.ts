/**
 * Store-side catalog SQL. A product list or a product detail is exactly ONE D1 statement: the
 * variants (with stock from inventory_levels) are folded into each row by a correlated subquery
 * that walks product_variants_product_idx, and category and rating come from joins. So a page of
 * 100 products costs one round trip, never 1 + N (test/integration/catalog-queries.test.ts).
 */
import type { ProductListQuery, Sort } from "./schemas";

/** D1Database and D1DatabaseSession both satisfy this, so reads can run inside a session. */
export type D1Like = Pick<D1Database, "prepare" | "batch">;

export type ProductRow = {
  id: string;
  slug: string;
  title: string;
  description: string;
  status: "draft" | "active" | "archived";
  tax_rate_bps: number;
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
  rank?: number;
};

export const PRODUCT_COLUMNS = `products.id, products.slug, products.title, products.description, products.status,
  products.tax_rate_bps, products.min_price, products.max_price, products.currency, products.created_at,
  c.id AS cat_id, c.slug AS cat_slug, c.name AS cat_name, r.rating_count, r.rating_sum,
  (SELECT json_group_array(json(x.v)) FROM (
     SELECT json_object('id', pv.id, 'sku', pv.sku, 'title', pv.title, 'options', json(pv.options),
       'price', pv.price, 'currency', pv.currency, 'version', pv.version,
       'available', max(coalesce(il.on_hand, 0) - coalesce(il.reserved, 0), 0)) AS v
     FROM product_variants pv LEFT JOIN inventory_levels il ON il.variant_id = pv.id
     WHERE pv.product_id = products.id AND pv.deleted_at IS NULL
     ORDER BY pv.position, pv.id) x) AS variants_json`;

export const PRODUCT_JOINS = `LEFT JOIN categories c ON c.id = products.category_id AND c.deleted_at IS NULL
  LEFT JOIN product_ratings r ON r.product_id = products.id`;

/** Keyset order per sort: the columns a cursor carries and the direction of the walk. */
const ORDERS: Record<Sort, { cols: [string, string]; desc: boolean }> = {
  newest: { cols: ["products.created_at", "products.id"], desc: true },
  price_asc: { cols: ["products.min_price", "products.id"], desc: false },
  price_desc: { cols: ["products.min_price", "products.id"], desc: true },
  relevance: { cols: ["products_fts.rank", "products.id"], desc: false },
};

export type ListShape = Omit<ProductListQuery, "cursor" | "limit" | "q" | "sort"> & {
  sort: Sort;
  match?: string;
  after?: [number | string, string];
  limit: number;
};

/** Builds the one statement for a store product list; exported so the query-plan test can EXPLAIN it. */
export function buildProductListSql(shape: ListShape): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const where = ["products.status = 'active'", "products.deleted_at IS NULL", "products.min_price IS NOT NULL"];
  let from = "products";
  let prefix = "";
  if (shape.match) {
    // The FTS table drives the join: MATCH narrows first, then each hit is a rowid lookup.
    from = "products_fts JOIN products ON products.rowid = products_fts.rowid";
    where.push("products_fts MATCH ?");
    params.push(shape.match);
  }
  if (shape.category) {
    prefix = `WITH RECURSIVE sub(id) AS (
      SELECT id FROM categories WHERE (id = ? OR slug = ?) AND deleted_at IS NULL
      UNION SELECT categories.id FROM categories JOIN sub ON categories.parent_id = sub.id
      WHERE categories.deleted_at IS NULL) `;
    params.unshift(shape.category, shape.category);
    where.push("products.category_id IN (SELECT id FROM sub)");
  }
  if (shape.collection) {
    where.push(`products.id IN (SELECT pc.product_id FROM product_collections pc
      WHERE pc.collection_id = (SELECT id FROM collections WHERE (id = ? OR slug = ?) AND deleted_at IS NULL))`);
    params.push(shape.collection, shape.collection);
  }
  if (shape.minPrice !== undefined) {
    where.push("products.min_price >= ?");
    params.push(shape.minPrice);
  }
  if (shape.maxPrice !== undefined) {
    where.push("products.min_price <= ?");
    params.push(shape.maxPrice);
  }
  const order = ORDERS[shape.sort];
  if (shape.after) {
    where.push(`(${order.cols[0]}, ${order.cols[1]}) ${order.desc ? "<" : ">"} (?, ?)`);
    params.push(shape.after[0], shape.after[1]);
  }
  const dir = order.desc ? "DESC" : "ASC";
  const rank = shape.match ? ", products_fts.rank AS rank" : "";
  const sql = `${prefix}SELECT ${PRODUCT_COLUMNS}${rank} FROM ${from} ${PRODUCT_JOINS}
    WHERE ${where.join(" AND ")} ORDER BY ${order.cols[0]} ${dir}, ${order.cols[1]} ${dir} LIMIT ?`;
  params.push(shape.limit);
  return { sql, params };
}

export async function listProducts(db: D1Like, shape: ListShape): Promise<ProductRow[]> {
  const { sql, params } = buildProductListSql(shape);
  return (await db.prepare(sql).bind(...params).all<ProductRow>()).results;
}

const detailSql = (column: "id" | "slug") => `SELECT ${PRODUCT_COLUMNS} FROM products ${PRODUCT_JOINS}
  WHERE products.${column} = ? AND products.status = 'active' AND products.deleted_at IS NULL`;
/** By id and by slug: two plain unique-index lookups (an `id = ? OR slug = ?` plan is slower). */
export const PRODUCT_DETAIL_SQL = { id: detailSql("id"), slug: detailSql("slug") };

export async function findStoreProduct(db: D1Like, idOrSlug: string): Promise<ProductRow | null> {
  // Slugs are lowercase words, so a "prod_" key is an id; a miss by id still tries the slug.
  if (idOrSlug.startsWith("prod_")) {
    const byId = await db.prepare(PRODUCT_DETAIL_SQL.id).bind(idOrSlug).first<ProductRow>();
    if (byId) return byId;
  }
  return db.prepare(PRODUCT_DETAIL_SQL.slug).bind(idOrSlug).first<ProductRow>();
}

/**
 * Active products by id in ONE statement however many ids (they travel as one JSON parameter, so
 * D1's limit on bound parameters never splits the batch); ids not found are simply missing.
 */
export const PRODUCTS_BY_IDS_SQL = `SELECT ${PRODUCT_COLUMNS} FROM products ${PRODUCT_JOINS}
  WHERE products.id IN (SELECT value FROM json_each(?)) AND products.status = 'active' AND products.deleted_at IS NULL`;

export async function findStoreProductsByIds(db: D1Like, ids: readonly string[]): Promise<ProductRow[]> {
  if (ids.length === 0) return [];
  return (await db.prepare(PRODUCTS_BY_IDS_SQL).bind(JSON.stringify(ids)).all<ProductRow>()).results;
}

export type CategoryRow = {
  id: string;
  parent_id: string | null;
  slug: string;
  name: string;
  description: string | null;
  position: number;
};

export async function listLiveCategories(db: D1Like): Promise<CategoryRow[]> {
  const sql = `SELECT id, parent_id, slug, name, description, position FROM categories
    WHERE deleted_at IS NULL ORDER BY position, name LIMIT 1000`;
  return (await db.prepare(sql).all<CategoryRow>()).results;
}

export type CollectionRow = { id: string; slug: string; title: string; description: string | null };

export async function listLiveCollections(db: D1Like): Promise<CollectionRow[]> {
  const sql = `SELECT id, slug, title, description FROM collections WHERE deleted_at IS NULL ORDER BY title LIMIT 1000`;
  return (await db.prepare(sql).all<CollectionRow>()).results;
}
