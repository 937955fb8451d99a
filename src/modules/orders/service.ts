/**
 * Orders: the customer's own list, detail and cancel; admin list, detail, status changes and
 * refunds. Status changes follow the state machine and are versioned conditional UPDATEs.
 */
import type { OrderStatus } from "../../db/schema";
import { AppError, invalidState, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { money } from "../../lib/money";
import { toIso } from "../../lib/time";
import { toTotals } from "../cart/pricing";
import { orderMarketView } from "../markets/orders";
import { giveBackTenders, tendersOf } from "../gift-cards/tenders";
import { restockLines, stockLinesOf } from "../inventory/service";
import { returnIdOfExchangeKey } from "../returns/keys";
import { returnsBlockingRefund } from "../returns/repo";
import { enqueuePendingEmail } from "../notifications/service";
import { attemptRefund } from "../payments/refunds";
import * as repo from "./repo";
import type { Order } from "./schemas";
import { canTransition } from "./state-machine";

function toOrder(row: repo.OrderRow, items: repo.ItemRow[], events: repo.EventRow[], refunds: repo.OrderRefundRow[]): Order {
  const c = row.currency;
  return {
    id: row.id,
    orderNumber: row.order_number,
    status: row.status,
    lines: items.map((i) => ({
      variantId: i.variant_id,
      sku: i.sku,
      title: i.title,
      quantity: i.quantity,
      unitPrice: money(i.unit_price, c),
      discount: money(i.discount, c),
      tax: money(i.tax, c),
      total: money(i.total, c),
    })),
    totals: toTotals({ subtotal: row.subtotal, discount: row.discount_total, shipping: row.shipping_total, tax: row.tax_total, total: row.total }, c),
    ...orderMarketView(row),
    createdAt: toIso(row.created_at),
    events: events.map((e) => ({ status: e.status, at: toIso(e.created_at) })),
    refunds: refunds.map((r) => ({
      id: r.id,
      amount: money(r.amount, r.currency),
      status: r.status,
      reason: r.reason,
      createdAt: toIso(r.created_at),
      succeededAt: r.succeeded_at ? toIso(r.succeeded_at) : null,
    })),
  };
}

async function hydrate(d1: D1Database, rows: repo.OrderRow[]): Promise<Order[]> {
  const { items, events, refunds } = await repo.linesAndEvents(d1, rows.map((r) => r.id));
  const of = <T extends { order_id: string }>(list: T[], id: string) => list.filter((x) => x.order_id === id);
  return rows.map((r) => toOrder(r, of(items, r.id), of(events, r.id), of(refunds, r.id)));
}

function decodeCursor(cursor: string | undefined): repo.Cursor {
  if (!cursor) return null;
  const match = /^(\d{1,15}):([A-Za-z0-9_]{1,64})$/.exec(cursor);
  if (!match) throw new AppError("VALIDATION_ERROR", "Invalid cursor", 400, { issues: [{ path: "cursor", message: "Invalid cursor" }] });
  return { createdAt: Number(match[1]), id: match[2]! };
}

/** A page of orders, newest first; `customerId` limits it to one customer's own. */
export async function listOrders(env: Env, filter: { customerId?: string; status?: OrderStatus }, page: { limit: number; cursor?: string }) {
  const rows = await repo.listOrders(env.DB, filter, page.limit + 1, decodeCursor(page.cursor));
  const pageRows = rows.slice(0, page.limit);
  const last = pageRows.at(-1);
  return { data: await hydrate(env.DB, pageRows), nextCursor: rows.length > page.limit && last ? `${last.created_at}:${last.id}` : null };
}

async function loadOrder(env: Env, id: string, customerId?: string): Promise<repo.OrderRow> {
  const row = await repo.findOrder(env.DB, id);
  // Another customer's order answers exactly like a missing one (no enumeration).
  if (!row || (customerId && row.customer_id !== customerId)) throw notFound("Order");
  return row;
}

/** One order; with `customerId`, only that customer's own. */
export async function getOrder(env: Env, id: string, customerId?: string): Promise<Order> {
  return (await hydrate(env.DB, [await loadOrder(env, id, customerId)]))[0]!;
}

async function publish(env: Env, orderId: string, status: OrderStatus, requestId: string | null) {
  await env.ORDER_EVENTS.send({ type: "order.status_changed", orderId, status, requestId });
}

/** Status changes the customer hears about; the email row is written with the change itself. */
const STATUS_EMAILS: Partial<Record<OrderStatus, string>> = { shipped: "shipping_update", refunded: "refund" };

export type StatusChange = { status: OrderStatus; actor: string; note?: string | null; restock?: boolean; requestId: string | null };

/** Moves an order along the state machine; cancelling returns stock and money, refunding returns money (and stock if asked). */
export async function changeStatus(env: Env, id: string, change: StatusChange, customerId?: string, now = Date.now()): Promise<Order> {
  const row = await loadOrder(env, id, customerId);
  if (!canTransition(row.status, change.status)) throw invalidState(`An order that is ${row.status} cannot become ${change.status}`, { status: row.status });
  // An exchange's zero-price order was paid by the returned goods (and a price difference): ending it
  // here would give neither back, so it is refused rather than lose the customer's money.
  if ((change.status === "cancelled" || change.status === "refunded") && returnIdOfExchangeKey(row.checkout_id)) {
    throw invalidState("An exchange order cannot be cancelled or refunded on its own; its return holds the money", { status: row.status, reason: "exchange_order" });
  }
  // Money already went back through a return: the rest is refunded through returns, never twice.
  if (change.status === "refunded") {
    const blocking = await returnsBlockingRefund(env.DB, row.id);
    if (blocking === "settled") throw invalidState("The order has received returns; refund the rest through a return", { status: row.status });
    // The return could never be received once the order is refunded: it is received or rejected first.
    if (blocking === "open") throw invalidState("The order has an open return; receive or reject it first", { status: row.status, reason: "open_return" });
  }
  const event = { id: newId("oev", now), actor: change.actor, note: change.note ?? null };
  const template = STATUS_EMAILS[change.status];
  const email = template
    ? { id: newId("eml", now), template, payload: { orderId: row.id, orderNumber: row.order_number }, requestId: change.requestId }
    : null;
  const ending = change.status === "cancelled" || change.status === "refunded";
  const settle = ending ? { restock: change.status === "cancelled" || change.restock === true, refundId: newId("rfd", now) } : null;
  if (!(await repo.transitionOrder(env.DB, row, change.status, event, now, email, settle))) throw invalidState("The order changed meanwhile; read it again");
  if (template) await enqueuePendingEmail(env, `${template}:${row.id}`);
  if (ending) await settleOrder(env, row.id, now);
  await publish(env, row.id, change.status, change.requestId);
  return getOrder(env, id);
}

/**
 * Settles a cancelled or refunded order: its stock goes back (when asked), its refund — written
 * with the status change — is tried when due, and the order is marked settled only once every
 * refund of it is confirmed by the provider. Every step is idempotent, so the cron sweep finishes
 * a settlement a crash or a failing provider interrupted. Answers whether it is settled now.
 */
export async function settleOrder(env: Env, orderId: string, now = Date.now()): Promise<boolean> {
  const order = await repo.findUnsettled(env.DB, orderId);
  if (!order) return false;
  if (order.restock_on_settle) {
    // Bundles were sold as their components: the checkout snapshot names them.
    const lines = await repo.checkoutLines(env.DB, order.checkout_id);
    const variantIds = lines ? stockLinesOf(lines).map((l) => l.variantId) : (await repo.linesAndEvents(env.DB, [order.id])).items.map((i) => i.variant_id);
    await restockLines(env, order.checkout_id, variantIds);
  }
  // Gift cards and store credit that paid get their amount back (once per order).
  const checkout = await repo.checkoutTenders(env.DB, order.checkout_id);
  if (checkout) await giveBackTenders(env, order.checkout_id, order.id, tendersOf(checkout));
  for (const refund of await repo.openRefundsOfOrder(env.DB, order.id)) {
    if (refund.status === "pending") await attemptRefund(env, refund.id, now);
  }
  return repo.markSettled(env.DB, order.id, now);
}

/** Cron: finishes settlements interrupted more than a minute ago (a refund in backoff waits for its turn). */
export async function settleInterruptedOrders(env: Env, now = Date.now()) {
  const pending = await repo.listUnsettled(env.DB, now - 60_000, 50);
  let settled = 0;
  for (const order of pending) {
    if (await settleOrder(env, order.id, now)) settled += 1;
    else await repo.touchUnsettled(env.DB, order.id, now);
  }
  return { settled, waiting: pending.length - settled };
}
