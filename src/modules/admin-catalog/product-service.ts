/**
 * Admin product and variant management with optimistic locking. Each write is one conditional
 * statement (or one batch); a failed condition is then explained by reading the row: 404 when
 * it is gone, 409 VERSION_CONFLICT with the current version otherwise.
 */
import { AppError, notFound, validationError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import { toProduct } from "../catalog/mappers";
import { requestDispatch } from "../webhooks";
import * as repo from "./product-repo";
import type { AdminProduct, AdminProductQuery, AdminVariant, CreateProductBody, CreateVariantBody, UpdateProductBody, UpdateVariantBody } from "./schemas";
import { afterWrite, mapConstraint, slugify, versionConflict, withUniqueSlug, writeSession, type Written } from "./shared";

const UNIQUE_COLUMNS = { "products.slug": "slug", "product_variants.sku": "sku" };
const productConstraint = (e: unknown) => mapConstraint(e, UNIQUE_COLUMNS, "categoryId");
const variantConstraint = (e: unknown) => mapConstraint(e, UNIQUE_COLUMNS, "productId");

type Price = { amount: number; currency: string };

/**
 * Splits `prices` into the variant's own price and its prices in other currencies: an entry in its
 * own currency is its `price` (and must agree with a `price` given beside it).
 */
export function splitPrices(currency: string, price: number | undefined, prices: Price[] | undefined, path = "prices"): { price: number | undefined; others: Price[] | undefined } {
  if (!prices) return { price, others: undefined };
  const own = prices.find((p) => p.currency === currency);
  if (own && price !== undefined && own.amount !== price) {
    throw validationError([{ path, message: `the ${currency} entry must equal price (${price}), the variant's own currency` }]);
  }
  return { price: price ?? own?.amount, others: prices.filter((p) => p.currency !== currency) };
}

/** A write's outcome; when it raised a webhook event, the fan-out is asked for. */
async function applied(env: Env, write: repo.WriteResult): Promise<boolean> {
  if (write.event) await requestDispatch(env);
  return write.ok;
}

function toAdminProduct(row: repo.AdminProductRow): AdminProduct {
  const base = toProduct(row);
  const versions = (JSON.parse(row.variants_json) as { version: number }[]).map((v) => v.version);
  return {
    ...base,
    variants: base.variants.map((v, i) => ({ ...v, version: versions[i] ?? 1 })),
    version: row.version,
    deletedAt: toIso(row.deleted_at),
  };
}

function detailKeys(id: string, ...slugs: (string | undefined)[]) {
  return [`detail:${id}`, ...slugs.filter(Boolean).map((slug) => `detail:${slug}`)];
}

async function loadAdmin(db: repo.AdminDb, id: string): Promise<AdminProduct> {
  const row = await repo.findAdminProduct(db, id);
  if (!row) throw notFound("Product");
  return toAdminProduct(row);
}

/** Creates a product with its variants and their stock rows in one batch. */
export async function createProduct(env: Env, input: CreateProductBody, now = Date.now()): Promise<Written<AdminProduct>> {
  const db = writeSession(env);
  const id = newId("prod", now);
  const variants = input.variants.map((v, position) => ({
    id: newId("var", now),
    productId: id,
    sku: v.sku,
    title: v.title,
    price: v.price,
    currency: v.currency ?? "USD",
    options: v.options ?? {},
    position,
    stock: v.stock,
    prices: splitPrices(v.currency ?? "USD", v.price, v.prices, `variants.${position}.prices`).others ?? [],
    weightGrams: v.weightGrams,
    requiresShipping: v.requiresShipping,
  }));
  const prices = variants.map((v) => v.price);
  const product = {
    id,
    title: input.title,
    description: input.description ?? "",
    status: input.status ?? "draft",
    categoryId: input.categoryId ?? null,
    taxRateBps: input.taxRateBps ?? 0,
    taxCategory: input.taxCategory ?? "standard",
    currency: variants[0]?.currency ?? "USD",
    minPrice: prices.length ? Math.min(...prices) : null,
    maxPrice: prices.length ? Math.max(...prices) : null,
  };
  const slug = await withUniqueSlug(input.slug ?? slugify(input.title), input.slug !== undefined, "products.slug", async (s) => {
    await applied(env, await repo.insertProduct(db, { ...product, slug: s }, variants, now));
    return s;
  }).catch(productConstraint);
  return afterWrite(env, db, await loadAdmin(db, id), detailKeys(id, slug));
}

/** One product whatever its status, deleted ones included. */
export async function getProduct(env: Env, id: string): Promise<AdminProduct> {
  // Admin reads go to the primary: the version they show is what the next If-Match is checked against.
  return loadAdmin(env.DB.withSession("first-primary"), id);
}

/** Products newest first, optionally by status and with deleted ones; the cursor is the last id shown (400 when it is not one). */
export async function listProducts(env: Env, query: AdminProductQuery) {
  if (query.cursor && !/^prod_[0-9A-Z]{26}$/.test(query.cursor)) {
    throw new AppError("VALIDATION_ERROR", "Invalid cursor", 400, { issues: [{ path: "cursor", message: "Invalid cursor" }] });
  }
  const rows = await repo.listAdminProducts(env.DB.withSession("first-primary"), {
    status: query.status,
    includeDeleted: query.includeDeleted,
    after: query.cursor,
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  return { data: page.map(toAdminProduct), nextCursor: rows.length > query.limit ? page.at(-1)!.id : null };
}

async function explainFailedWrite(db: repo.AdminDb, id: string): Promise<never> {
  const state = await repo.productState(db, id);
  if (!state || state.deleted_at !== null) throw notFound("Product");
  throw versionConflict(state.version);
}

/** Applies a patch only if the product is still at `expectedVersion`. */
export async function updateProduct(env: Env, id: string, expectedVersion: number, patch: UpdateProductBody, now = Date.now()) {
  const db = writeSession(env);
  const before = await repo.productState(db, id);
  const ok = await applied(env, await repo.updateProductIfVersion(db, id, expectedVersion, patch, now).catch(productConstraint));
  if (!ok) await explainFailedWrite(db, id);
  return afterWrite(env, db, await loadAdmin(db, id), detailKeys(id, before?.slug, patch.slug));
}

/** Soft delete: the store stops showing it at once; order rows still point at it. */
export async function deleteProduct(env: Env, id: string, now = Date.now()): Promise<Written<null>> {
  const db = writeSession(env);
  const state = await repo.productState(db, id);
  if (!state || !(await applied(env, await repo.setProductDeleted(db, id, true, now)))) throw notFound("Product");
  return afterWrite(env, db, null, detailKeys(id, state.slug));
}

export async function restoreProduct(env: Env, id: string, now = Date.now()): Promise<Written<AdminProduct>> {
  const db = writeSession(env);
  if (!(await applied(env, await repo.setProductDeleted(db, id, false, now)))) throw notFound("Deleted product");
  const product = await loadAdmin(db, id);
  return afterWrite(env, db, product, detailKeys(id, product.slug));
}

async function loadVariant(db: repo.AdminDb, variantId: string, productId: string): Promise<AdminVariant> {
  const row = await repo.findAdminProduct(db, productId);
  const variant = row ? toAdminProduct(row).variants.find((v) => v.id === variantId) : undefined;
  if (!variant) throw notFound("Variant");
  return { ...variant, productId };
}

/** Adds a variant (with its stock row) and refreshes the product's price range, atomically. */
export async function addVariant(env: Env, productId: string, input: CreateVariantBody, now = Date.now()) {
  const db = writeSession(env);
  const state = await repo.productState(db, productId);
  if (!state || state.deleted_at !== null) throw notFound("Product");
  const variant = {
    id: newId("var", now),
    productId,
    sku: input.sku,
    title: input.title,
    price: input.price,
    currency: input.currency ?? "USD",
    options: input.options ?? {},
    position: (await repo.maxVariantPosition(db, productId)) + 1,
    stock: input.stock,
    prices: splitPrices(input.currency ?? "USD", input.price, input.prices).others ?? [],
    weightGrams: input.weightGrams,
    requiresShipping: input.requiresShipping,
  };
  await applied(env, await repo.insertVariant(db, variant, now).catch(variantConstraint));
  return afterWrite(env, db, await loadVariant(db, variant.id, productId), detailKeys(productId, state.slug));
}

async function liveVariant(db: repo.AdminDb, id: string) {
  const state = await repo.variantState(db, id);
  if (!state || state.deleted_at !== null) throw notFound("Variant");
  return state;
}

/** Applies a variant patch only at `expectedVersion`; the price range follows in the same batch. */
export async function updateVariant(env: Env, id: string, expectedVersion: number, patch: UpdateVariantBody, now = Date.now()) {
  const db = writeSession(env);
  const state = await liveVariant(db, id);
  const target = { id, productId: state.product_id };
  const { price, others } = splitPrices(patch.currency ?? state.currency, patch.price, patch.prices);
  const write = { ...patch, price, prices: others };
  const ok = await applied(env, await repo.updateVariantIfVersion(db, target, expectedVersion, write, now).catch(variantConstraint));
  if (!ok) throw versionConflict((await liveVariant(db, id)).version);
  const slug = (await repo.productState(db, state.product_id))?.slug;
  return afterWrite(env, db, await loadVariant(db, id, state.product_id), detailKeys(state.product_id, slug));
}

export async function deleteVariant(env: Env, id: string, now = Date.now()): Promise<Written<null>> {
  const db = writeSession(env);
  const state = await liveVariant(db, id);
  if (!(await applied(env, await repo.softDeleteVariant(db, { id, productId: state.product_id }, now)))) throw notFound("Variant");
  const slug = (await repo.productState(db, state.product_id))?.slug;
  return afterWrite(env, db, null, detailKeys(state.product_id, slug));
}
