/** Commerce factories: products, variants and stock inserted by SQL, the way a seed would. */
import { env, runInDurableObject } from "cloudflare:test";
import { newId } from "../../src/lib/ids";
import { call, registerCustomer } from "../helpers";

let counter = 0;
/** Variants made in this file, so their objects' alarms can be cleared. */
const made: string[] = [];

export type MadeVariant = { id: string; sku: string; price: number; productId: string };

/**
 * An active product with one variant per entry of `variants` (price in cents, stock on hand).
 * Variants need no shipping unless `requiresShipping` says so (markets): most tests buy without an address.
 */
export async function createProduct(
  options: { taxRateBps?: number; taxCategory?: string; currency?: string; requiresShipping?: boolean; variants?: { price?: number; stock?: number; weightGrams?: number; prices?: Record<string, number> }[] } = {},
): Promise<{ productId: string; variants: MadeVariant[] }> {
  counter += 1;
  const now = Date.now();
  const productId = newId("prod", now);
  const currency = options.currency ?? "USD";
  const specs = options.variants ?? [{ price: 1000, stock: 10 }];
  const statements = [
    env.DB.prepare(
      "INSERT INTO products (id, slug, title, status, tax_rate_bps, tax_category, currency, created_at, updated_at) VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?)",
    ).bind(productId, `p-${productId.toLowerCase()}`, `Product ${counter}`, options.taxRateBps ?? 0, options.taxCategory ?? "standard", currency, now, now),
  ];
  const variants: MadeVariant[] = specs.map((spec, i) => {
    const id = newId("var", now);
    const sku = `SKU-${id.slice(4)}-${i}`;
    const price = spec.price ?? 1000;
    statements.push(
      env.DB.prepare(
        `INSERT INTO product_variants (id, product_id, sku, title, price, currency, position, weight_grams, requires_shipping, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).bind(id, productId, sku, `Variant ${i + 1}`, price, currency, i, spec.weightGrams ?? 0, options.requiresShipping ? 1 : 0, now, now),
      ...Object.entries(spec.prices ?? {}).map(([c, amount]) =>
        env.DB.prepare("INSERT INTO variant_prices (variant_id, currency, amount, updated_at) VALUES (?, ?, ?, ?)").bind(id, c, amount, now),
      ),
      env.DB.prepare("INSERT INTO inventory_levels (variant_id, on_hand, reserved, version, updated_at) VALUES (?, ?, 0, 0, ?)").bind(
        id,
        spec.stock ?? 10,
        now,
      ),
    );
    made.push(id);
    return { id, sku, price, productId };
  });
  await env.DB.batch(statements);
  return { productId, variants };
}

/** One variant with `stock` units at `price` cents. */
export async function createVariant(stock = 10, price = 1000, taxRateBps = 0): Promise<MadeVariant> {
  const { variants } = await createProduct({ taxRateBps, variants: [{ price, stock }] });
  return variants[0]!;
}

export function inventoryStub(variantId: string) {
  return env.INVENTORY.get(env.INVENTORY.idFromName(variantId));
}

/** Puts `quantity` of a variant in the customer's cart. */
export async function addToCart(token: string, variantId: string, quantity = 1) {
  const res = await call("POST", "/api/v1/store/cart/items", { token, body: { variantId, quantity } });
  if (res.status !== 201) throw new Error(`add to cart failed: ${res.status} ${res.text}`);
  return res.json;
}

let keyCounter = 0;
export async function startCheckout(token: string, key = `key-${Date.now()}-${++keyCounter}`, body?: unknown) {
  return call("POST", "/api/v1/store/checkouts", { token, body, headers: { "Idempotency-Key": key } });
}

export async function pay(token: string, checkoutId: string, card: "tok_success" | "tok_decline" = "tok_success") {
  return call("POST", `/api/v1/store/checkouts/${checkoutId}/payment`, { token, body: { provider: "test", token: card } });
}

/** A customer who has bought `quantity` of the variant: answers the customer and the order id. */
export async function placeOrder(variantId: string, quantity = 1) {
  const customer = await registerCustomer();
  await addToCart(customer.token, variantId, quantity);
  const checkout = await startCheckout(customer.token);
  const paid = await pay(customer.token, checkout.json.id);
  if (paid.status !== 200) throw new Error(`payment failed: ${paid.status} ${paid.text}`);
  return { customer, checkoutId: checkout.json.id as string, orderId: paid.json.orderId as string };
}

/** Durable Object alarms survive between tests: clear the ones the variants of this file scheduled. */
export async function clearInventoryAlarms(variantIds: string[] = made.splice(0)) {
  for (const id of variantIds) {
    await runInDurableObject(inventoryStub(id), (_o, state) => state.storage.deleteAlarm());
  }
}
