/** Catalog factories: everything goes through the admin API, so caches are invalidated as in production. */
import { call, createAdmin } from "../helpers";

let admin: Promise<{ token: string }> | undefined;
/** One admin per test file (storage is per file). */
export function adminToken(): Promise<string> {
  admin ??= createAdmin();
  return admin.then((a) => a.token);
}

let seq = 0;
/** A word no other test uses, for FTS queries and slugs. */
export function unique(label = "item"): string {
  seq += 1;
  return `${label}${Date.now().toString(36)}${seq}${Math.random().toString(36).slice(2, 6)}`.toLowerCase();
}

export type VariantInput = {
  sku?: string;
  title?: string;
  price?: number;
  stock?: number;
  options?: Record<string, string>;
  prices?: { amount: number; currency: string }[];
  weightGrams?: number;
  /** Markets: false unless a test ships (most tests buy without an address). */
  requiresShipping?: boolean;
};

export async function createProduct(overrides: Record<string, unknown> & { variants?: VariantInput[] } = {}) {
  const token = await adminToken();
  const variants = (overrides.variants ?? [{}]).map((v, i) => ({
    sku: v.sku ?? unique("SKU").toUpperCase(),
    title: v.title ?? `Variant ${i + 1}`,
    price: v.price ?? 1000 + i * 500,
    stock: v.stock ?? 10,
    requiresShipping: v.requiresShipping ?? false,
    ...(v.options ? { options: v.options } : {}),
    ...(v.prices ? { prices: v.prices } : {}),
    ...(v.weightGrams !== undefined ? { weightGrams: v.weightGrams } : {}),
  }));
  const res = await call("POST", "/api/v1/admin/products", {
    token,
    body: { title: unique("Product "), status: "active", ...overrides, variants },
  });
  if (res.status !== 201) throw new Error(`createProduct failed: ${res.status} ${res.text}`);
  return res.json;
}

export async function createCategory(body: Record<string, unknown> = {}) {
  const res = await call("POST", "/api/v1/admin/categories", { token: await adminToken(), body: { name: unique("Category "), ...body } });
  if (res.status !== 201) throw new Error(`createCategory failed: ${res.status} ${res.text}`);
  return res.json;
}

export async function createCollection(body: Record<string, unknown> = {}) {
  const res = await call("POST", "/api/v1/admin/collections", { token: await adminToken(), body: { title: unique("Collection "), ...body } });
  if (res.status !== 201) throw new Error(`createCollection failed: ${res.status} ${res.text}`);
  return res.json;
}
