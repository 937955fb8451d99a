/**
 * The order events, shaped once here so checkout and orders code adds one line to its batch:
 * `...webhookEventStatements(d1, orderPlacedEvent(…))` and `...webhookEventStatements(d1, orderStatusEvents(…))`.
 */
import type { OrderStatus } from "../../db/schema";
import { toIso } from "../../lib/time";
import type { WebhookEventInput, WebhookEventType } from "./events";

const money = (amount: number, currency: string) => ({ amount, currency });

type PlacedLine = { productId?: string; variantId: string; sku: string; title: string; quantity: number; unitPrice: number; discount: number; tax: number; total: number };
type PlacedTotals = { subtotal: number; discount: number; tax: number; total: number };

/** `order.placed`, once per order however often the finalize batch runs. */
export function orderPlacedEvent(o: {
  orderId: string;
  orderNumber: string;
  customerId: string;
  email: string;
  currency: string;
  lines: PlacedLine[];
  totals: PlacedTotals;
  requestId: string | null;
  now: number;
}): WebhookEventInput {
  const c = o.currency;
  return {
    type: "order.placed",
    key: `order.placed:${o.orderId}`,
    requestId: o.requestId,
    now: o.now,
    data: {
      orderId: o.orderId,
      orderNumber: o.orderNumber,
      status: "pending",
      customer: { id: o.customerId, email: o.email },
      lines: o.lines.map((l) => ({
        productId: l.productId ?? null,
        variantId: l.variantId,
        sku: l.sku,
        title: l.title,
        quantity: l.quantity,
        unitPrice: money(l.unitPrice, c),
        discount: money(l.discount, c),
        tax: money(l.tax, c),
        total: money(l.total, c),
      })),
      totals: { subtotal: money(o.totals.subtotal, c), discount: money(o.totals.discount, c), tax: money(o.totals.tax, c), total: money(o.totals.total, c) },
      createdAt: toIso(o.now),
    },
  };
}

type TransitionedOrder = { id: string; order_number: string; customer_id: string; status: OrderStatus; currency: string; total: number; version: number };

/**
 * `order.status_changed` for every transition, plus `order.cancelled` / `order.refunded` when it
 * ends there — each written only if the guarded UPDATE moved the order to `to` at `version + 1`.
 */
export function orderStatusEvents(order: TransitionedOrder, to: OrderStatus, now: number, requestId: string | null = null): WebhookEventInput[] {
  const version = order.version + 1;
  const onlyIf = { sql: "EXISTS (SELECT 1 FROM orders WHERE id = ? AND status = ? AND version = ?)", params: [order.id, to, version] };
  const data = {
    orderId: order.id,
    orderNumber: order.order_number,
    customerId: order.customer_id,
    previousStatus: order.status,
    status: to,
    total: money(order.total, order.currency),
    changedAt: toIso(now),
  };
  const types: WebhookEventType[] = ["order.status_changed"];
  if (to === "cancelled") types.push("order.cancelled");
  if (to === "refunded") types.push("order.refunded");
  return types.map((type) => ({ type, data, onlyIf, key: `${type}:${order.id}:${version}`, requestId, now }));
}
