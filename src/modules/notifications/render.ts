/** Turns an outbox row into the email to send, filling order facts from D1 when the payload has only ids. */
import { loadOrderForEmail, type OutboxRow } from "./repo";
import * as templates from "./templates";

export class UnrenderableEmailError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnrenderableEmailError";
  }
}

async function orderPayload(d1: D1Database, payload: Record<string, unknown>): Promise<templates.OrderEmailPayload> {
  if (Array.isArray(payload.lines) && payload.totals && payload.orderNumber) {
    return payload as unknown as templates.OrderEmailPayload;
  }
  const orderId = typeof payload.orderId === "string" ? payload.orderId : null;
  const loaded = orderId ? await loadOrderForEmail(d1, orderId) : null;
  if (!loaded) throw new UnrenderableEmailError("order for email not found");
  const { order, name, lines } = loaded;
  return {
    ...(payload as object),
    orderNumber: order.orderNumber,
    name: name ?? undefined,
    currency: order.currency,
    locale: order.locale ?? undefined,
    lines: lines.map((l) => ({ title: l.title, sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice, total: l.total })),
    totals: { subtotal: order.subtotal, discount: order.discountTotal, shipping: order.shippingTotal, tax: order.taxTotal, total: order.total },
  };
}

export async function renderOutboxEmail(d1: D1Database, row: OutboxRow): Promise<templates.RenderedEmail> {
  const payload = row.payload;
  switch (row.template) {
    case "order_confirmation":
      return templates.orderConfirmation(await orderPayload(d1, payload));
    case "shipping_update":
      return templates.shippingUpdate(await orderPayload(d1, payload));
    case "refund":
      return templates.refundIssued(await orderPayload(d1, payload));
    case "password_reset":
      return templates.passwordReset(payload as Parameters<typeof templates.passwordReset>[0]);
    case "webhook_endpoint_disabled":
      return templates.webhookEndpointDisabled(payload as Parameters<typeof templates.webhookEndpointDisabled>[0]);
    case "promotion":
      return templates.promotion(payload as Parameters<typeof templates.promotion>[0]);
    default:
      throw new UnrenderableEmailError(`unknown template ${row.template}`);
  }
}
