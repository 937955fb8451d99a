/**
 * Exchanges: a return may ask for other variants instead of (part of) its money. They are priced
 * as the customer would pay for them today, reserved in the InventoryDO when the return is
 * approved (under the exchange's own key, like a checkout), sold when the goods are received, and
 * shipped as a zero-price order linked to the return. Replacements that cost less than what comes
 * back leave the difference to refund; replacements that cost more leave a difference the customer
 * pays before the return is approved (difference.ts).
 */
import { getConfig } from "../../env";
import { notFound, validationError } from "../../lib/errors";
import { commitLines, closeLines, reserveLines, type Shortage } from "../inventory/service";
import { defaultMarket, regionByCode } from "../markets/context";
import { priceCartForCustomer } from "../pricing/service";
import { orderPlacedEvent, webhookEventStatements } from "../webhooks";
import { exchangeKeyOf, exchangeOrderIdOf } from "./keys";
import * as repo from "./repo";

export { exchangeKeyOf, exchangeOrderIdOf };

/**
 * Prices the replacements for the customer today (price lists, automatic discounts, tax) in the
 * order's currency and its region's tax mode. Tax uses the products' own rates, not the rates of
 * the order's ship-to place: the amount only decides how much of the refund the exchange keeps.
 */
export async function priceExchange(
  env: Env,
  customerId: string,
  order: { currency: string; region_code?: unknown },
  wanted: { variantId: string; quantity: number }[],
  now: number,
): Promise<repo.ExchangeItemRow[]> {
  const currency = order.currency;
  if (wanted.length === 0) return [];
  const merged = new Map<string, number>();
  for (const w of wanted) merged.set(w.variantId, (merged.get(w.variantId) ?? 0) + w.quantity);
  const variants = await repo.buyableVariants(env.DB, [...merged.keys()], currency);
  const byId = new Map(variants.map((v) => [v.id, v]));
  for (const id of merged.keys()) {
    const v = byId.get(id);
    if (!v) throw notFound("Variant");
    if (v.is_bundle === 1) throw validationError([{ path: "exchange", message: "a bundle cannot be an exchange replacement" }]);
    if (v.price === null) throw validationError([{ path: "exchange", message: `${v.sku} has no price in ${currency}, the order's currency` }]);
  }
  const lines = [...merged.entries()].map(([variantId, quantity]) => {
    const v = byId.get(variantId)!;
    return { lineId: variantId, variantId, productId: v.product_id, categoryId: v.category_id, quantity, basePrice: v.price!, taxRateBps: v.tax_rate_bps };
  });
  const market = await defaultMarket(env);
  const region = regionByCode(env, market.config, typeof order.region_code === "string" ? order.region_code : null) ?? market.region;
  const priced = await priceCartForCustomer(env, customerId, lines, [], now, { currency, taxInclusive: region.taxInclusive });
  return lines.map((l, i) => ({ variantId: l.variantId, productId: l.productId, sku: byId.get(l.variantId)!.sku, title: byId.get(l.variantId)!.title, quantity: l.quantity, amount: priced.lines[i]!.total }));
}

/** Reserves the replacements until the goods come back; answers the shortages (nothing held then). */
export async function reserveExchange(env: Env, returnId: string, items: repo.ExchangeItemRow[], now: number): Promise<Shortage[]> {
  if (items.length === 0) return [];
  const until = now + getConfig(env).EXCHANGE_HOLD_DAYS * 86_400_000;
  return reserveLines(env, exchangeKeyOf(returnId), items, until);
}

/** Sells the replacements (idempotent); false when they cannot be had any more (the hold lapsed and the stock is gone). */
export async function sellExchange(env: Env, returnId: string, items: repo.ExchangeItemRow[]): Promise<boolean> {
  if (items.length === 0) return true;
  return (await commitLines(env, exchangeKeyOf(returnId), items)).length === 0;
}

/** A rejected exchange lets go of its replacements for good (held or already sold), and nothing can be sold to it later. */
export async function dropExchange(env: Env, returnId: string, items: repo.ExchangeItemRow[]): Promise<void> {
  if (items.length > 0) await closeLines(env, exchangeKeyOf(returnId), items.map((i) => i.variantId));
}

/**
 * The zero-price order that ships the replacements, written in the receipt's batch only if the
 * return is now received (`onlyIf`); ids derive from the return, so it is written once.
 */
export function exchangeOrderStatements(
  d1: D1Database,
  ret: { id: string; customerId: string; currency: string; email: string; items: repo.ExchangeItemRow[]; requestId: string | null; now: number },
  onlyIf: { sql: string; args: unknown[] },
) {
  const orderId = exchangeOrderIdOf(ret.id);
  const orderNumber = `EX-${ret.id.slice(-10)}`;
  const suffix = ret.id.slice(4);
  const when = `WHERE ${onlyIf.sql}`;
  const lines = ret.items.map((i) => ({ productId: i.productId, variantId: i.variantId, sku: i.sku, title: i.title, quantity: i.quantity, unitPrice: 0, discount: 0, tax: 0, total: 0 }));
  return [
    d1
      .prepare(
        `INSERT INTO orders (id, order_number, customer_id, checkout_id, status, currency, subtotal, discount_total, tax_total, total, email, version, created_at, updated_at)
         SELECT ?, ?, ?, ?, 'pending', ?, 0, 0, 0, 0, ?, 1, ?, ? ${when} ON CONFLICT DO NOTHING`,
      )
      .bind(orderId, orderNumber, ret.customerId, exchangeKeyOf(ret.id), ret.currency, ret.email, ret.now, ret.now, ...onlyIf.args),
    ...lines.map((l, i) =>
      d1
        .prepare(
          `INSERT INTO order_items (id, order_id, product_id, variant_id, sku, title, quantity, unit_price, discount, tax, total, created_at)
           SELECT ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ? ${when} ON CONFLICT DO NOTHING`,
        )
        .bind(`oli_${suffix}X${String(i).padStart(2, "0")}`, orderId, l.productId, l.variantId, l.sku, l.title, l.quantity, ret.now, ...onlyIf.args),
    ),
    d1
      .prepare(`INSERT INTO order_events (id, order_id, status, actor, note, created_at) SELECT ?, ?, 'pending', 'system', ?, ? ${when} ON CONFLICT DO NOTHING`)
      .bind(`oev_${suffix}X`, orderId, `exchange for return ${ret.id}`, ret.now, ...onlyIf.args),
    d1
      .prepare(
        `INSERT INTO email_outbox (id, template, to_address, payload, priority, status, attempts, dedupe_key, request_id, created_at, updated_at)
         SELECT ?, 'order_confirmation', ?, ?, 'critical', 'pending', 0, ?, ?, ?, ? ${when} ON CONFLICT DO NOTHING`,
      )
      .bind(`eml_${suffix}X`, ret.email, JSON.stringify({ orderId, orderNumber }), `order_confirmation:${orderId}`, ret.requestId, ret.now, ret.now, ...onlyIf.args),
    d1.prepare(`UPDATE returns SET exchange_order_id = ? WHERE id = ? AND ${onlyIf.sql}`).bind(orderId, ret.id, ...onlyIf.args),
    ...webhookEventStatements(d1, {
      ...orderPlacedEvent({ orderId, orderNumber, customerId: ret.customerId, email: ret.email, currency: ret.currency, lines, totals: { subtotal: 0, discount: 0, tax: 0, total: 0 }, requestId: ret.requestId, now: ret.now }),
      onlyIf: { sql: onlyIf.sql, params: onlyIf.args },
    }),
  ];
}
