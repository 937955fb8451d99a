/**
 * Admin-side product and variant SQL. Every versioned write is ONE conditional UPDATE
 * (`WHERE id = ? AND version = ?`), judged by its RETURNING row (D1's meta.changes also counts
 * the rows the FTS triggers touch, so it cannot tell success); a variant write and the refresh of
 * its product's denormalized min/max price go in one D1 batch, which is one transaction.
 */
import { MARKET_CTE, PRODUCT_COLUMNS, PRODUCT_JOINS, type D1Like, type ProductRow } from "../catalog/repo";
import { productEvent, webhookEventStatements, wroteEvents } from "../webhooks";

/** What a catalog write did: whether it applied, and whether it wrote a webhook event to fan out. */
export type WriteResult = { ok: boolean; event: boolean };

/** The product.updated event of a write that touched `productId`, guarded like the write itself. */
const productUpdated = (db: D1Like, productId: string, now: number, onlyIf?: { sql: string; params: unknown[] }) =>
  webhookEventStatements(db, productEvent("product.updated", productId, now, onlyIf));

export type NewProduct = {
  id: string;
  slug: string;
  title: string;
  description: string;
  status: string;
  categoryId: string | null;
  taxRateBps: number;
  taxCategory: string;
  currency: string;
  minPrice: number | null;
  maxPrice: number | null;
};
export type NewVariant = {
  id: string;
  productId: string;
  sku: string;
  title: string;
  price: number;
  currency: string;
  options: Record<string, string>;
  position: number;
  stock: number;
  /** Prices in currencies other than `currency`. */
  prices: { amount: number; currency: string }[];
  weightGrams: number;
  requiresShipping: boolean;
};

/**
 * Recomputes the product's price range in every currency a live variant has a price in (own
 * prices and variant_prices): what the store lists it under in each region, and sorts it by.
 */
function refreshProductPrices(db: D1Like, productId: string) {
  return [
    db.prepare("DELETE FROM product_prices WHERE product_id = ?").bind(productId),
    db
      .prepare(`INSERT INTO product_prices (product_id, currency, min_amount, max_amount)
        SELECT ?1, currency, min(amount), max(amount) FROM (
          SELECT v.currency AS currency, v.price AS amount FROM product_variants v WHERE v.product_id = ?1 AND v.deleted_at IS NULL
          UNION ALL
          SELECT vp.currency, vp.amount FROM variant_prices vp JOIN product_variants v ON v.id = vp.variant_id
          WHERE v.product_id = ?1 AND v.deleted_at IS NULL AND vp.currency <> v.currency)
        GROUP BY currency`)
      .bind(productId),
  ];
}

/** Replaces a variant's prices in other currencies (only when `onlyIf` holds: the write they belong to applied). */
function replaceVariantPrices(db: D1Like, variantId: string, prices: { amount: number; currency: string }[], now: number, onlyIf?: { sql: string; params: unknown[] }) {
  const guard = onlyIf ? ` AND ${onlyIf.sql}` : "";
  return [
    db.prepare(`DELETE FROM variant_prices WHERE variant_id = ?${guard}`).bind(variantId, ...(onlyIf?.params ?? [])),
    db
      .prepare(`INSERT INTO variant_prices (variant_id, currency, amount, updated_at)
        SELECT ?, json_extract(value, '$.currency'), json_extract(value, '$.amount'), ? FROM json_each(?) WHERE 1${guard}`)
      .bind(variantId, now, JSON.stringify(prices), ...(onlyIf?.params ?? [])),
  ];
}

/** Recomputes a product's price range from its live variants (backs the price filters and sorts). */
function refreshPriceRange(db: D1Like, productId: string, now: number) {
  return db
    .prepare(`UPDATE products SET
        min_price = (SELECT min(price) FROM product_variants WHERE product_id = ?1 AND deleted_at IS NULL),
        max_price = (SELECT max(price) FROM product_variants WHERE product_id = ?1 AND deleted_at IS NULL),
        updated_at = ?2
      WHERE id = ?1`)
    .bind(productId, now);
}

function variantStatements(db: D1Like, v: NewVariant, now: number) {
  return [
    db
      .prepare(`INSERT INTO product_variants (id, product_id, sku, title, price, currency, options, position, weight_grams, requires_shipping, version, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`)
      .bind(v.id, v.productId, v.sku, v.title, v.price, v.currency, JSON.stringify(v.options), v.position, v.weightGrams, v.requiresShipping ? 1 : 0, now, now),
    db
      .prepare("INSERT INTO inventory_levels (variant_id, on_hand, reserved, version, updated_at) VALUES (?, ?, 0, 0, ?)")
      .bind(v.id, v.stock, now),
    ...(v.prices.length > 0 ? replaceVariantPrices(db, v.id, v.prices, now).slice(1) : []),
  ];
}

/** Product, variants, their stock rows and the product.created event in one batch: all or nothing. */
export async function insertProduct(db: D1Like, p: NewProduct, variants: NewVariant[], now: number): Promise<WriteResult> {
  const product = db
    .prepare(`INSERT INTO products (id, slug, title, description, status, category_id, tax_rate_bps, tax_category, min_price, max_price, currency, version, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`)
    .bind(p.id, p.slug, p.title, p.description, p.status, p.categoryId, p.taxRateBps, p.taxCategory, p.minPrice, p.maxPrice, p.currency, now, now);
  const results = await db.batch([
    product,
    ...variants.flatMap((v) => variantStatements(db, v, now)),
    ...refreshProductPrices(db, p.id),
    ...webhookEventStatements(db, productEvent("product.created", p.id, now)),
  ]);
  return { ok: true, event: wroteEvents(results, 1) };
}

const PRODUCT_FIELDS = { title: "title", slug: "slug", description: "description", categoryId: "category_id", status: "status", taxRateBps: "tax_rate_bps", taxCategory: "tax_category" } as const;

/** The conditional UPDATE behind PATCH (ok when the row was at `expected` version and live), with its event. */
export async function updateProductIfVersion(
  db: D1Like,
  id: string,
  expected: number,
  patch: Partial<Record<keyof typeof PRODUCT_FIELDS, unknown>>,
  now: number,
): Promise<WriteResult> {
  const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [keyof typeof PRODUCT_FIELDS, unknown][];
  const sets = entries.map(([k]) => `${PRODUCT_FIELDS[k]} = ?`);
  const results = await db.batch([
    db
      .prepare(`UPDATE products SET ${[...sets, "version = version + 1", "updated_at = ?"].join(", ")}
        WHERE id = ? AND version = ? AND deleted_at IS NULL RETURNING version`)
      .bind(...entries.map(([, v]) => v), now, id, expected),
    ...productUpdated(db, id, now, { sql: "EXISTS (SELECT 1 FROM products WHERE id = ? AND version = ? AND updated_at = ?)", params: [id, expected + 1, now] }),
  ]);
  return { ok: results[0]!.results.length === 1, event: wroteEvents(results, 1) };
}

export function productState(db: D1Like, id: string) {
  return db.prepare("SELECT version, deleted_at, slug FROM products WHERE id = ?").bind(id).first<{ version: number; deleted_at: number | null; slug: string }>();
}

/** Soft delete (deleted = true) or restore; bumps the version so stale editors get 409. Deleting raises product.deleted, restoring product.updated. */
export async function setProductDeleted(db: D1Like, id: string, deleted: boolean, now: number): Promise<WriteResult> {
  const sql = deleted
    ? "UPDATE products SET deleted_at = ?1, version = version + 1, updated_at = ?1 WHERE id = ?2 AND deleted_at IS NULL RETURNING id"
    : "UPDATE products SET deleted_at = NULL, version = version + 1, updated_at = ?1 WHERE id = ?2 AND deleted_at IS NOT NULL RETURNING id";
  const applied = deleted
    ? { sql: "EXISTS (SELECT 1 FROM products WHERE id = ? AND deleted_at = ?)", params: [id, now] }
    : { sql: "EXISTS (SELECT 1 FROM products WHERE id = ? AND deleted_at IS NULL AND updated_at = ?)", params: [id, now] };
  const results = await db.batch([
    db.prepare(sql).bind(now, id),
    ...webhookEventStatements(db, productEvent(deleted ? "product.deleted" : "product.updated", id, now, applied)),
  ]);
  return { ok: results[0]!.results.length === 1, event: wroteEvents(results, 1) };
}

export type AdminDb = D1Like;
export type AdminProductRow = ProductRow & { version: number; deleted_at: number | null };

/** Admin listing, newest first; one statement like the store list (variants folded in). */
export async function listAdminProducts(db: D1Like, q: { status?: string; includeDeleted: boolean; after?: string; limit: number }) {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.status) {
    where.push("products.status = ?");
    params.push(q.status);
  }
  if (!q.includeDeleted) where.push("products.deleted_at IS NULL");
  if (q.after) {
    where.push("products.id < ?");
    params.push(q.after);
  }
  // Ids are ULID-style, so id order is creation order and the cursor is the last id.
  // No market: each variant in its own currency, the catalog's own text.
  const sql = `WITH ${MARKET_CTE} SELECT ${PRODUCT_COLUMNS}, products.version, products.deleted_at FROM products ${PRODUCT_JOINS}
    ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY products.id DESC LIMIT ?`;
  return (await db.prepare(sql).bind(null, null, ...params, q.limit).all<AdminProductRow>()).results;
}

export function findAdminProduct(db: D1Like, id: string) {
  return db
    .prepare(`WITH ${MARKET_CTE} SELECT ${PRODUCT_COLUMNS}, products.version, products.deleted_at FROM products ${PRODUCT_JOINS} WHERE products.id = ?`)
    .bind(null, null, id)
    .first<AdminProductRow>();
}

export async function insertVariant(db: D1Like, v: NewVariant, now: number): Promise<WriteResult> {
  const results = await db.batch([...variantStatements(db, v, now), refreshPriceRange(db, v.productId, now), ...refreshProductPrices(db, v.productId), ...productUpdated(db, v.productId, now)]);
  return { ok: true, event: wroteEvents(results, 1) };
}

const VARIANT_FIELDS = {
  sku: "sku",
  title: "title",
  price: "price",
  currency: "currency",
  options: "options",
  position: "position",
  weightGrams: "weight_grams",
  requiresShipping: "requires_shipping",
} as const;

export async function updateVariantIfVersion(
  db: D1Like,
  v: { id: string; productId: string },
  expected: number,
  patch: Partial<Record<keyof typeof VARIANT_FIELDS, unknown>> & { prices?: { amount: number; currency: string }[] },
  now: number,
): Promise<WriteResult> {
  const { prices, ...fields } = patch;
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined) as [keyof typeof VARIANT_FIELDS, unknown][];
  const sets = entries.map(([k]) => `${VARIANT_FIELDS[k]} = ?`);
  const values = entries.map(([k, value]) => (k === "options" ? JSON.stringify(value) : k === "requiresShipping" ? (value ? 1 : 0) : value));
  const applied = { sql: "EXISTS (SELECT 1 FROM product_variants WHERE id = ? AND version = ? AND updated_at = ?)", params: [v.id, expected + 1, now] };
  const results = await db.batch([
    db
      .prepare(`UPDATE product_variants SET ${[...sets, "version = version + 1", "updated_at = ?"].join(", ")}
        WHERE id = ? AND version = ? AND deleted_at IS NULL RETURNING id`)
      .bind(...values, now, v.id, expected),
    ...(prices ? replaceVariantPrices(db, v.id, prices, now, applied) : []),
    refreshPriceRange(db, v.productId, now),
    ...refreshProductPrices(db, v.productId),
    ...productUpdated(db, v.productId, now, applied),
  ]);
  return { ok: results[0]!.results.length === 1, event: wroteEvents(results, 1) };
}

export async function softDeleteVariant(db: D1Like, v: { id: string; productId: string }, now: number): Promise<WriteResult> {
  const results = await db.batch([
    db
      .prepare("UPDATE product_variants SET deleted_at = ?1, version = version + 1, updated_at = ?1 WHERE id = ?2 AND deleted_at IS NULL RETURNING id")
      .bind(now, v.id),
    refreshPriceRange(db, v.productId, now),
    ...refreshProductPrices(db, v.productId),
    ...productUpdated(db, v.productId, now, { sql: "EXISTS (SELECT 1 FROM product_variants WHERE id = ? AND deleted_at = ?)", params: [v.id, now] }),
  ]);
  return { ok: results[0]!.results.length === 1, event: wroteEvents(results, 1) };
}

export type VariantStateRow = { id: string; product_id: string; version: number; deleted_at: number | null; currency: string };

export function variantState(db: D1Like, id: string) {
  return db.prepare("SELECT id, product_id, version, deleted_at, currency FROM product_variants WHERE id = ?").bind(id).first<VariantStateRow>();
}

export async function maxVariantPosition(db: D1Like, productId: string): Promise<number> {
  const row = await db.prepare("SELECT max(position) AS p FROM product_variants WHERE product_id = ?").bind(productId).first<{ p: number | null }>();
  return row?.p ?? -1;
}
