/**
 * Factories for reviews and recommendations tests: catalog rows, stock, users and orders go in by
 * SQL (the catalog and checkout areas are built elsewhere), shaped as those areas write them.
 */
import { env } from "cloudflare:test";
import { newId } from "../../src/lib/ids";

let seq = 0;
const next = () => `${Date.now().toString(36)}-${++seq}`;

export async function createCategory() {
  const id = newId("cat");
  const now = Date.now();
  await env.DB.prepare("INSERT INTO categories (id, slug, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
    .bind(id, `cat-${next()}`, "Category", now, now)
    .run();
  return id;
}

export type ProductOptions = {
  categoryId?: string | null;
  status?: "draft" | "active" | "archived";
  stock?: number;
  reserved?: number;
  price?: number;
  deleted?: boolean;
};

/** An active product with one variant, 10 in stock and a price of 1999 unless told otherwise. */
export async function createProduct(options: ProductOptions = {}) {
  const id = newId("prod");
  const variantId = newId("var");
  const now = Date.now();
  const price = options.price ?? 1999;
  const suffix = next();
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO products (id, slug, title, status, category_id, min_price, max_price, currency, deleted_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'USD', ?, ?, ?)`,
    ).bind(id, `product-${suffix}`, `Product ${suffix}`, options.status ?? "active", options.categoryId ?? null, price, price, options.deleted ? now : null, now, now),
    env.DB.prepare(
      "INSERT INTO product_variants (id, product_id, sku, title, price, currency, created_at, updated_at) VALUES (?, ?, ?, 'Default', ?, 'USD', ?, ?)",
    ).bind(variantId, id, `SKU-${suffix}`, price, now, now),
    // Listed in USD (the store lists a product in a currency through product_prices).
    env.DB.prepare("INSERT INTO product_prices (product_id, currency, min_amount, max_amount) VALUES (?, 'USD', ?, ?)").bind(id, price, price),
    env.DB.prepare("INSERT INTO inventory_levels (variant_id, on_hand, reserved, updated_at) VALUES (?, ?, ?, ?)").bind(
      variantId,
      options.stock ?? 10,
      options.reserved ?? 0,
      now,
    ),
  ]);
  return { id, variantId };
}

/** A user row to own orders in tests that need no token. */
export async function createUser() {
  const id = newId("usr");
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO users (id, email, password_hash, name, role, marketing_opt_in, created_at, updated_at) VALUES (?, ?, 'x', 'Buyer', 'CUSTOMER', 0, ?, ?)",
  )
    .bind(id, `buyer-${next()}@example.test`, now, now)
    .run();
  return id;
}

export type OrderLine = { productId: string; variantId: string; quantity?: number };

/** An order of the customer with the given lines, in `status` (delivered unless told otherwise). */
export async function createOrder(
  customerId: string,
  lines: OrderLine[],
  options: { status?: string; createdAt?: number } = {},
) {
  const id = newId("ord");
  const now = options.createdAt ?? Date.now();
  const suffix = next();
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO orders (id, order_number, customer_id, checkout_id, status, currency, subtotal, total, email, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'USD', 0, 0, 'buyer@example.test', ?, ?)`,
    ).bind(id, `ES-${suffix}`, customerId, `chk_${suffix}`, options.status ?? "delivered", now, now),
    ...lines.map((line) =>
      env.DB.prepare(
        `INSERT INTO order_items (id, order_id, product_id, variant_id, sku, title, quantity, unit_price, total, created_at)
         VALUES (?, ?, ?, ?, 'SKU', 'Item', ?, 1999, 1999, ?)`,
      ).bind(newId("oli"), id, line.productId, line.variantId, line.quantity ?? 1, now),
    ),
  ]);
  return id;
}

export async function ratingOf(productId: string) {
  const row = await env.DB.prepare("SELECT rating_count, rating_sum FROM product_ratings WHERE product_id = ?")
    .bind(productId)
    .first<{ rating_count: number; rating_sum: number }>();
  return { count: row?.rating_count ?? 0, sum: row?.rating_sum ?? 0 };
}

export async function scoreOf(productId: string, relatedProductId: string) {
  const row = await env.DB.prepare("SELECT score FROM product_affinity WHERE product_id = ? AND related_product_id = ?")
    .bind(productId, relatedProductId)
    .first<{ score: number }>();
  return row?.score ?? 0;
}
