/** Commerce factories: products, variants and stock inserted by SQL, the way a seed would. */
import { env } from "cloudflare:test";
import { newId } from "../../src/lib/ids";

let counter = 0;

export type MadeVariant = { id: string; sku: string; price: number; productId: string };

/** An active product with one variant per entry of `variants` (price in cents, stock on hand). */
export async function createProduct(
  options: { taxRateBps?: number; currency?: string; variants?: { price?: number; stock?: number }[] } = {},
): Promise<{ productId: string; variants: MadeVariant[] }> {
  counter += 1;
  const now = Date.now();
  const productId = newId("prod", now);
  const currency = options.currency ?? "USD";
  const specs = options.variants ?? [{ price: 1000, stock: 10 }];
  const statements = [
    env.DB.prepare(
      "INSERT INTO products (id, slug, title, status, tax_rate_bps, currency, created_at, updated_at) VALUES (?, ?, ?, 'active', ?, ?, ?, ?)",
    ).bind(productId, `p-${productId.toLowerCase()}`, `Product ${counter}`, options.taxRateBps ?? 0, currency, now, now),
  ];
  const variants: MadeVariant[] = specs.map((spec, i) => {
    const id = newId("var", now);
    const sku = `SKU-${id.slice(4)}-${i}`;
    const price = spec.price ?? 1000;
    statements.push(
      env.DB.prepare(
        "INSERT INTO product_variants (id, product_id, sku, title, price, currency, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ).bind(id, productId, sku, `Variant ${i + 1}`, price, currency, i, now, now),
      env.DB.prepare("INSERT INTO inventory_levels (variant_id, on_hand, reserved, version, updated_at) VALUES (?, ?, 0, 0, ?)").bind(
        id,
        spec.stock ?? 10,
        now,
      ),
    );
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
