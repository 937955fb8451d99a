/**
 * Which changes raise which webhook events: each event row is written in the D1 batch of the change
 * itself (so a refused or repeated change writes none), and none at all while nobody subscribes.
 */
import { env } from "cloudflare:test";
import { getConfig } from "../../src/env";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_EVENT_TYPES } from "../../src/modules/webhooks/events";
import { processInventorySync } from "../../src/queues/inventory-sync";
import { clearInventoryAlarms, createVariant, placeOrder } from "../factories/commerce";
import { createEndpoint } from "../factories/webhooks";
import { call, createAdmin } from "../helpers";

let admin: { token: string };
beforeAll(async () => {
  admin = await createAdmin();
});
afterEach(() => clearInventoryAlarms());

type EventRow = { id: string; type: string; data: string };
async function eventsWhere(type: string, field: string, value: string) {
  const rows = await env.DB.prepare(`SELECT id, type, data FROM webhook_events WHERE type = ? AND json_extract(data, '$.${field}') = ? ORDER BY created_at, id`)
    .bind(type, value)
    .all<EventRow>();
  return rows.results.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, any> }));
}

describe("without subscribers", () => {
  it("writes no event rows at all", async () => {
    const v = await createVariant(5);
    const { orderId } = await placeOrder(v.id);
    expect(await eventsWhere("order.placed", "orderId", orderId)).toEqual([]);
  });
});

describe("with subscribers", () => {
  beforeAll(async () => {
    await createEndpoint(admin.token, [...WEBHOOK_EVENT_TYPES]);
  });

  it("writes order.placed once, with the order's lines and totals, however often finalize runs", async () => {
    const v = await createVariant(5, 1500);
    const { orderId, checkoutId } = await placeOrder(v.id, 2);
    const { finalizeCheckout } = await import("../../src/modules/checkout/finalize");
    await finalizeCheckout(env, checkoutId, { requestId: null });
    const events = await eventsWhere("order.placed", "orderId", orderId);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ lines: [{ variantId: v.id, quantity: 2 }], totals: { subtotal: { amount: 3000, currency: "USD" } } });
  });

  it("writes order.status_changed per transition and order.cancelled on cancel; a refused transition writes nothing", async () => {
    const v = await createVariant(5);
    const { orderId } = await placeOrder(v.id);
    const setStatus = (status: string) => call("POST", `/api/v1/admin/orders/${orderId}/status`, { token: admin.token, body: { status } });
    expect((await setStatus("confirmed")).status).toBe(200);
    expect((await setStatus("delivered")).status).toBe(409);
    expect((await setStatus("cancelled")).status).toBe(200);
    const changes = await eventsWhere("order.status_changed", "orderId", orderId);
    expect(changes.map((e) => [e.data.previousStatus, e.data.status])).toEqual([["pending", "confirmed"], ["confirmed", "cancelled"]]);
    const cancelled = await eventsWhere("order.cancelled", "orderId", orderId);
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]!.data).toMatchObject({ status: "cancelled", total: { amount: 1000, currency: "USD" } });
    expect(await eventsWhere("order.refunded", "orderId", orderId)).toEqual([]);
  });

  it("writes order.refunded when an admin refunds", async () => {
    const v = await createVariant(5);
    const { orderId } = await placeOrder(v.id);
    expect((await call("POST", `/api/v1/admin/orders/${orderId}/refund`, { token: admin.token, body: {} })).status).toBe(200);
    expect(await eventsWhere("order.refunded", "orderId", orderId)).toHaveLength(1);
  });

  it("writes product.created, product.updated and product.deleted with the product as the write left it", async () => {
    const created = await call("POST", "/api/v1/admin/products", {
      token: admin.token,
      body: { title: "Webhook Lamp", status: "active", variants: [{ sku: `WH-${Date.now()}`, title: "Default", price: 4200, stock: 3 }] },
    });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const patched = await call("PATCH", `/api/v1/admin/products/${id}`, { token: admin.token, headers: { "If-Match": '"1"' }, body: { title: "Webhook Lamp 2" } });
    expect(patched.status).toBe(200);
    const stale = await call("PATCH", `/api/v1/admin/products/${id}`, { token: admin.token, headers: { "If-Match": '"1"' }, body: { title: "Lost" } });
    expect(stale.status).toBe(409);
    expect((await call("DELETE", `/api/v1/admin/products/${id}`, { token: admin.token })).status).toBe(204);

    const [createdEvent] = await eventsWhere("product.created", "id", id);
    expect(createdEvent!.data).toMatchObject({ id, title: "Webhook Lamp", version: 1, variants: [{ price: { amount: 4200, currency: "USD" } }] });
    const updates = await eventsWhere("product.updated", "id", id);
    expect(updates.map((e) => [e.data.title, e.data.version])).toEqual([["Webhook Lamp 2", 2]]);
    const [deleted] = await eventsWhere("product.deleted", "id", id);
    expect(deleted!.data).toMatchObject({ id, version: 3, deletedAt: expect.any(String) });
  });

  it("writes inventory.low_stock once when available stock crosses below the threshold, not while it stays there", async () => {
    const v = await createVariant(20);
    const threshold = getConfig(env).LOW_STOCK_THRESHOLD;
    await processInventorySync(env, { variantId: v.id, onHand: 20, reserved: 0, version: 1 });
    await processInventorySync(env, { variantId: v.id, onHand: 20, reserved: 20 - threshold, version: 2 });
    expect(await eventsWhere("inventory.low_stock", "variantId", v.id)).toEqual([]);
    await processInventorySync(env, { variantId: v.id, onHand: threshold - 1, reserved: 0, version: 3 });
    await processInventorySync(env, { variantId: v.id, onHand: threshold - 1, reserved: 0, version: 3 }); // duplicate message
    await processInventorySync(env, { variantId: v.id, onHand: 1, reserved: 0, version: 4 });
    await processInventorySync(env, { variantId: v.id, onHand: 20, reserved: 0, version: 2 }); // stale, out of order
    const events = await eventsWhere("inventory.low_stock", "variantId", v.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ variantId: v.id, sku: v.sku, onHand: threshold - 1, available: threshold - 1, threshold });
  });
});
