/** SQL factories for order history, for reports that read orders without going through checkout. */
import { env } from "cloudflare:test";
import { newId } from "../../src/lib/ids";

export async function insertProductWithVariant(opts: { title?: string; price?: number; onHand?: number; reserved?: number } = {}) {
  const now = Date.now();
  const productId = newId("prod");
  const variantId = newId("var");
  const title = opts.title ?? `Product ${productId.slice(-6)}`;
  await env.DB.batch([
    env.DB.prepare("INSERT INTO products (id, slug, title, description, status, tax_rate_bps, min_price, max_price, currency, is_bundle, version, created_at, updated_at) VALUES (?, ?, ?, '', 'active', 0, ?, ?, 'USD', 0, 1, ?, ?)")
      .bind(productId, productId.toLowerCase(), title, opts.price ?? 1000, opts.price ?? 1000, now, now),
    env.DB.prepare("INSERT INTO product_variants (id, product_id, sku, title, price, currency, options, position, version, created_at, updated_at) VALUES (?, ?, ?, 'Default', ?, 'USD', '{}', 0, 1, ?, ?)")
      .bind(variantId, productId, `SKU-${variantId.slice(-10)}`, opts.price ?? 1000, now, now),
    env.DB.prepare("INSERT INTO product_prices (product_id, currency, min_amount, max_amount) VALUES (?, 'USD', ?, ?)").bind(productId, opts.price ?? 1000, opts.price ?? 1000),
    env.DB.prepare("INSERT INTO inventory_levels (variant_id, on_hand, reserved, version, updated_at) VALUES (?, ?, ?, 0, ?)")
      .bind(variantId, opts.onHand ?? 100, opts.reserved ?? 0, now),
  ]);
  return { productId, variantId, title };
}

export async function insertOrder(opts: {
  customerId: string;
  status?: string;
  createdAt?: number;
  currency?: string;
  lines: { productId: string; variantId: string; quantity: number; unitPrice: number }[];
}) {
  const id = newId("ord");
  const createdAt = opts.createdAt ?? Date.now();
  const subtotal = opts.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
  const statements = [
    env.DB.prepare("INSERT INTO orders (id, order_number, customer_id, checkout_id, status, currency, subtotal, discount_total, tax_total, total, email, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?, 'x@example.test', 1, ?, ?)")
      .bind(id, `T-${id.slice(-10)}`, opts.customerId, `chk_${id}`, opts.status ?? "confirmed", opts.currency ?? "USD", subtotal, subtotal, createdAt, createdAt),
    ...opts.lines.map((l) =>
      env.DB.prepare("INSERT INTO order_items (id, order_id, product_id, variant_id, sku, title, quantity, unit_price, discount, tax, total, created_at) VALUES (?, ?, ?, ?, 'SKU', 'Item', ?, ?, 0, 0, ?, ?)")
        .bind(newId("oli"), id, l.productId, l.variantId, l.quantity, l.unitPrice, l.quantity * l.unitPrice, createdAt),
    ),
  ];
  await env.DB.batch(statements);
  return id;
}
