/**
 * The D1 statements that turn a paid checkout into an order. Ids derive from the checkout id and
 * every insert ignores a row that exists, so running the batch twice changes nothing.
 */
import type { CheckoutRow } from "../checkout/repo";
import { snapshotOf } from "../checkout/repo";
import { transitionStatement } from "../checkout/repo";
import { orderPlacedEvent, webhookEventStatements } from "../webhooks";
import { storedCheckoutMarket } from "../markets/cart";

export const orderIdFor = (checkoutId: string) => `ord_${checkoutId.slice(4)}`;
export const orderNumberFor = (checkoutId: string) => `ES-${checkoutId.slice(-10)}`;

export function placementStatements(d1: D1Database, row: CheckoutRow, email: string, requestId: string | null, now: number) {
  const suffix = row.id.slice(4);
  const orderId = orderIdFor(row.id);
  const { lines, totals, discounts } = snapshotOf(row);
  const orderNumber = orderNumberFor(row.id);
  // Markets: the order keeps copies of its region, language, address and method (later edits never change it).
  const market = storedCheckoutMarket(row.market);
  const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
  return [
    d1
      .prepare(
        `INSERT INTO orders (id, order_number, customer_id, checkout_id, status, currency, subtotal, discount_total, tax_total, shipping_total, total, email,
           region_code, locale, shipping_address, shipping_method, version, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .bind(orderId, orderNumber, row.customer_id, row.id, row.currency, totals.subtotal, totals.discount, totals.tax, totals.shipping ?? 0, totals.total, email,
        market.regionCode, market.locale, json(market.shippingAddress), json(market.shippingMethod), now, now),
    ...lines.map((l, i) =>
      d1
        .prepare(
          `INSERT INTO order_items (id, order_id, product_id, variant_id, sku, title, quantity, unit_price, discount, tax, total, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .bind(`oli_${suffix}${String(i).padStart(3, "0")}`, orderId, l.productId, l.variantId, l.sku, l.title, l.quantity, l.unitPrice, l.discount, l.tax, l.total, now),
    ),
    // The usage was claimed before the charge (checkout/discount-claims); this records it on the order.
    ...discounts.map((d, i) =>
      d1
        .prepare(
          `INSERT INTO discount_redemptions (id, discount_id, order_id, customer_id, amount, created_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .bind(`red_${suffix}${String(i).padStart(3, "0")}`, d.discountId, orderId, row.customer_id, d.amount, now),
    ),
    d1
      .prepare("INSERT INTO order_events (id, order_id, status, actor, note, created_at) VALUES (?, ?, 'pending', 'system', 'order placed', ?) ON CONFLICT DO NOTHING")
      .bind(`oev_${suffix}000`, orderId, now),
    d1.prepare("UPDATE payments SET order_id = ?, updated_at = ? WHERE id = ? AND order_id IS NULL").bind(orderId, now, row.payment_id),
    d1
      .prepare(
        `INSERT INTO email_outbox (id, template, to_address, payload, priority, status, attempts, dedupe_key, request_id, created_at, updated_at)
         VALUES (?, 'order_confirmation', ?, ?, 'critical', 'pending', 0, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .bind(`eml_${suffix}`, email, JSON.stringify({ orderId, orderNumber }), `order_confirmation:${orderId}`, requestId, now, now),
    d1.prepare("UPDATE carts SET status = 'converted', updated_at = ? WHERE id = ? AND status = 'active'").bind(now, row.cart_id),
    ...webhookEventStatements(d1, orderPlacedEvent({ orderId, orderNumber, customerId: row.customer_id, email, currency: row.currency, lines, totals, requestId, now })),
    transitionStatement(d1, row.id, ["PAYMENT_CONFIRMED"], "ORDER_CREATED", now, { orderId }),
  ];
}
