/** D1 access for orders: reads with their lines and events, and versioned status changes. */
import type { OrderStatus, RefundStatus } from "../../db/schema";
import { releaseClaimStatements, type ReleaseGuard } from "../checkout/discount-claims";
import { refundOrderPaymentStatement } from "../payments/repo";
import { orderStatusEvents, webhookEventStatements } from "../webhooks";

export type OrderRow = {
  email: string;
  id: string;
  order_number: string;
  customer_id: string;
  checkout_id: string;
  status: OrderStatus;
  currency: string;
  subtotal: number;
  discount_total: number;
  tax_total: number;
  shipping_total: number;
  total: number;
  region_code: string | null;
  locale: string | null;
  shipping_address: string | null;
  shipping_method: string | null;
  version: number;
  created_at: number;
};
export type ItemRow = { order_id: string; variant_id: string; sku: string; title: string; quantity: number; unit_price: number; discount: number; tax: number; total: number };
export type EventRow = { order_id: string; status: string; created_at: number };

const COLUMNS = `id, order_number, customer_id, checkout_id, status, currency, subtotal, discount_total, tax_total, shipping_total, total, email,
  region_code, locale, shipping_address, shipping_method, version, created_at`;

export function findOrder(d1: D1Database, id: string) {
  return d1.prepare(`SELECT ${COLUMNS} FROM orders WHERE id = ?`).bind(id).first<OrderRow>();
}

export type Cursor = { createdAt: number; id: string } | null;

/** Newest first; `customerId` and `status` narrow the list (each has its index). */
export async function listOrders(d1: D1Database, filter: { customerId?: string; status?: OrderStatus }, limit: number, cursor: Cursor) {
  const clauses: [string, unknown[]][] = [];
  if (filter.customerId) clauses.push(["customer_id = ?", [filter.customerId]]);
  if (filter.status) clauses.push(["status = ?", [filter.status]]);
  if (cursor) clauses.push(["(created_at, id) < (?, ?)", [cursor.createdAt, cursor.id]]);
  const where = clauses.map(([clause]) => clause);
  const args = clauses.flatMap(([, values]) => values);
  const sql = `SELECT ${COLUMNS} FROM orders ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`;
  const { results } = await d1.prepare(sql).bind(...args, limit).all<OrderRow>();
  return results;
}

export type OrderRefundRow = { order_id: string; id: string; amount: number; currency: string; status: RefundStatus; reason: string; created_at: number; succeeded_at: number | null };

/** Lines, events and refunds of up to 100 orders (one bound parameter each), in one round trip. */
export async function linesAndEvents(d1: D1Database, orderIds: string[]) {
  if (orderIds.length === 0) return { items: [] as ItemRow[], events: [] as EventRow[], refunds: [] as OrderRefundRow[] };
  const marks = orderIds.map(() => "?").join(", ");
  const [items, events, refunds] = await d1.batch([
    d1.prepare(`SELECT order_id, variant_id, sku, title, quantity, unit_price, discount, tax, total FROM order_items WHERE order_id IN (${marks}) ORDER BY id`).bind(...orderIds),
    d1.prepare(`SELECT order_id, status, created_at FROM order_events WHERE order_id IN (${marks}) ORDER BY created_at, id`).bind(...orderIds),
    d1.prepare(`SELECT order_id, id, amount, currency, status, reason, created_at, succeeded_at FROM refunds WHERE order_id IN (${marks}) ORDER BY created_at, id`).bind(...orderIds),
  ]);
  return { items: items!.results as ItemRow[], events: events!.results as EventRow[], refunds: refunds!.results as OrderRefundRow[] };
}

export type StatusEmail = { id: string; template: string; payload: Record<string, unknown>; requestId: string | null };

/**
 * Moves the order from the exact version read to `to`, with its event and (for shipping and
 * refunds) the customer's email row, all in one batch; false when the order changed meanwhile.
 */
export async function transitionOrder(
  d1: D1Database,
  order: OrderRow,
  to: OrderStatus,
  event: { id: string; actor: string; note: string | null },
  now: number,
  email: StatusEmail | null = null,
  settle: { restock: boolean; refundId: string } | null = null,
): Promise<boolean> {
  // Every statement after the UPDATE applies only if the order is now exactly what it wrote.
  const after = { id: order.id, status: to, version: order.version + 1 };
  const moved: ReleaseGuard = { sql: "EXISTS (SELECT 1 FROM orders WHERE id = ? AND status = ? AND version = ?)", args: [after.id, after.status, after.version] };
  const emailStatement = email
    ? [
        d1
          .prepare(
            `INSERT INTO email_outbox (id, template, to_address, payload, priority, status, attempts, dedupe_key, request_id, created_at, updated_at)
             SELECT ?, ?, ?, ?, 'critical', 'pending', 0, ?, ?, ?, ? WHERE ${moved.sql}
             ON CONFLICT DO NOTHING`,
          )
          .bind(email.id, email.template, order.email, JSON.stringify(email.payload), `${email.template}:${order.id}`, email.requestId, now, now, ...moved.args),
      ]
    : [];
  // A cancel or refund writes, with the status, what it owes: the refund of the payment, and the
  // discount uses given back (the limit counter, the per-customer claim, the redemption).
  const settleStatements = settle
    ? [
        refundOrderPaymentStatement(d1, settle.refundId, after, `order_${to}`, now),
        ...releaseClaimStatements(d1, order.checkout_id, now, moved),
        d1.prepare(`UPDATE discount_redemptions SET reversed_at = ? WHERE order_id = ? AND reversed_at IS NULL AND ${moved.sql}`).bind(now, order.id, ...moved.args),
      ]
    : [];
  const [update] = await d1.batch([
    settle
      ? d1
          .prepare(
            // Never past a return that is not rejected (one requested since the caller checked, too).
            `UPDATE orders SET status = ?, version = version + 1, updated_at = ?, restock_on_settle = ?, settled_at = NULL WHERE id = ? AND status = ? AND version = ?
               AND NOT EXISTS (SELECT 1 FROM returns WHERE order_id = orders.id AND status <> 'rejected')`,
          )
          .bind(to, now, settle.restock ? 1 : 0, order.id, order.status, order.version)
      : d1
          .prepare("UPDATE orders SET status = ?, version = version + 1, updated_at = ? WHERE id = ? AND status = ? AND version = ?")
          .bind(to, now, order.id, order.status, order.version),
    d1
      .prepare(`INSERT INTO order_events (id, order_id, status, actor, note, created_at) SELECT ?, ?, ?, ?, ?, ? WHERE ${moved.sql}`)
      .bind(event.id, order.id, to, event.actor, event.note, now, ...moved.args),
    ...emailStatement,
    ...settleStatements,
    ...webhookEventStatements(d1, orderStatusEvents(order, to, now, email?.requestId ?? null)),
  ]);
  return update!.meta.changes === 1;
}

/** The checkout snapshot lines an order came from (bundle lines name their components). */
export async function checkoutLines(d1: D1Database, checkoutId: string) {
  const row = await d1.prepare("SELECT lines FROM checkouts WHERE id = ?").bind(checkoutId).first<{ lines: string }>();
  return row ? (JSON.parse(row.lines) as { variantId: string; quantity: number; components?: { variantId: string; quantity: number }[] | null }[]) : null;
}

/** The balances (gift cards, store credit) the order's checkout spent; null for an order without a checkout (an exchange). */
export function checkoutTenders(d1: D1Database, checkoutId: string) {
  return d1.prepare("SELECT tenders FROM checkouts WHERE id = ?").bind(checkoutId).first<{ tenders: string }>();
}

export type UnsettledOrder = { id: string; checkout_id: string; restock_on_settle: number };

/** A cancelled or refunded order whose stock and money are not settled yet, or null. */
export function findUnsettled(d1: D1Database, orderId: string) {
  return d1
    .prepare("SELECT id, checkout_id, restock_on_settle FROM orders WHERE id = ? AND settled_at IS NULL AND status IN ('cancelled', 'refunded')")
    .bind(orderId)
    .first<UnsettledOrder>();
}

/** Cancellations whose settlement was interrupted (oldest first, bounded), through the partial index. */
export async function listUnsettled(d1: D1Database, olderThan: number, limit: number) {
  const rows = await d1
    .prepare(
      `SELECT id, checkout_id, restock_on_settle FROM orders INDEXED BY orders_unsettled_idx
       WHERE settled_at IS NULL AND status IN ('cancelled', 'refunded') AND updated_at < ? ORDER BY updated_at LIMIT ?`,
    )
    .bind(olderThan, limit)
    .all<UnsettledOrder>();
  return rows.results;
}

/** Puts an unsettled order at the back of the sweep's line (its refund is waiting for a retry). */
export async function touchUnsettled(d1: D1Database, orderId: string, now: number) {
  await d1.prepare("UPDATE orders SET updated_at = ? WHERE id = ? AND settled_at IS NULL").bind(now, orderId).run();
}

/** Settled: stock returned (when asked) and every refund of the order confirmed by the provider. */
export async function markSettled(d1: D1Database, orderId: string, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      `UPDATE orders SET settled_at = ? WHERE id = ? AND settled_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM refunds WHERE order_id = ? AND status <> 'succeeded')`,
    )
    .bind(now, orderId, orderId)
    .run();
  return result.meta.changes === 1;
}

/** The refunds of an order not yet confirmed. */
export async function openRefundsOfOrder(d1: D1Database, orderId: string) {
  const { results } = await d1
    .prepare("SELECT id, status FROM refunds WHERE order_id = ? AND status <> 'succeeded'")
    .bind(orderId)
    .all<{ id: string; status: RefundStatus }>();
  return results;
}
