import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { addToCart, clearInventoryAlarms, createVariant, inventoryStub, pay, placeOrder, startCheckout } from "../factories/commerce";
import { call, createAdmin, expectErrorEnvelope, registerCustomer } from "../helpers";

afterEach(() => clearInventoryAlarms());

const setStatus = (token: string, id: string, status: string) => call("POST", `/api/v1/admin/orders/${id}/status`, { token, body: { status } });

describe("GET /api/v1/store/orders", () => {
  it("lists only the customer's own orders, newest first, with cursor pagination", async () => {
    const v = await createVariant(10, 700);
    const first = await placeOrder(v.id, 1);
    const { token } = first.customer;
    await addToCart(token, v.id, 1);
    const second = await pay(token, (await startCheckout(token)).json.id);
    const other = await placeOrder(v.id, 1);
    const page1 = await call("GET", "/api/v1/store/orders?limit=1", { token });
    expect(page1.status).toBe(200);
    expect(page1.json.data.map((o: { id: string }) => o.id)).toEqual([second.json.orderId]);
    const page2 = await call("GET", `/api/v1/store/orders?limit=1&cursor=${page1.json.nextCursor}`, { token });
    expect(page2.json.data.map((o: { id: string }) => o.id)).toEqual([first.orderId]);
    expect(page2.json.nextCursor).toBeNull();
    expect([...page1.json.data, ...page2.json.data]).not.toContainEqual(expect.objectContaining({ id: other.orderId }));
  });

  it("uses an index for the customer's list and the admin list by status (no full scan)", async () => {
    const plans = [
      "SELECT id FROM orders WHERE customer_id = ? AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 20",
      "SELECT id FROM orders WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT 20",
    ];
    for (const sql of plans) {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...sql.split("?").slice(1).map(() => "x")).all<{ detail: string }>();
      const details = results.map((r) => r.detail).join(" | ");
      expect(details).toMatch(/USING INDEX/);
      expect(details).not.toMatch(/^SCAN orders$/m);
    }
  });
});

describe("GET /api/v1/store/orders/:id", () => {
  it("answers the order with lines, totals and its event history", async () => {
    const v = await createVariant(10, 700);
    const { customer, orderId } = await placeOrder(v.id, 2);
    const res = await call("GET", `/api/v1/store/orders/${orderId}`, { token: customer.token });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: orderId,
      status: "pending",
      orderNumber: expect.stringMatching(/^ES-/),
      lines: [{ variantId: v.id, sku: v.sku, quantity: 2, unitPrice: { amount: 700, currency: "USD" }, total: { amount: 1400, currency: "USD" } }],
      totals: { total: { amount: 1400, currency: "USD" } },
      events: [{ status: "pending" }],
    });
  });

  it("answers 404 for another customer's order", async () => {
    const v = await createVariant();
    const { orderId } = await placeOrder(v.id);
    const stranger = await registerCustomer();
    const res = await call("GET", `/api/v1/store/orders/${orderId}`, { token: stranger.token });
    expect(res.status).toBe(404);
    expectErrorEnvelope(res, "NOT_FOUND");
    expect((await call("POST", `/api/v1/store/orders/${orderId}/cancel`, { token: stranger.token })).status).toBe(404);
  });
});

describe("POST /api/v1/store/orders/:id/cancel", () => {
  it("cancels before shipping and returns the stock", async () => {
    const v = await createVariant(5);
    const { customer, orderId } = await placeOrder(v.id, 2);
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(3);
    const res = await call("POST", `/api/v1/store/orders/${orderId}/cancel`, { token: customer.token });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe("cancelled");
    expect(res.json.events.map((e: { status: string }) => e.status)).toEqual(["pending", "cancelled"]);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 5, reserved: 0 });
    const payment = await env.DB.prepare("SELECT status FROM payments WHERE order_id = ?").bind(orderId).first();
    expect(payment).toEqual({ status: "refunded" });
  });

  it("returns the stock only once when cancelled twice", async () => {
    const v = await createVariant(5);
    const { customer, orderId } = await placeOrder(v.id, 2);
    expect((await call("POST", `/api/v1/store/orders/${orderId}/cancel`, { token: customer.token })).status).toBe(200);
    const again = await call("POST", `/api/v1/store/orders/${orderId}/cancel`, { token: customer.token });
    expect(again.status).toBe(409);
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(5);
  });

  it("answers 409 INVALID_STATE once shipped", async () => {
    const v = await createVariant(5);
    const { customer, orderId } = await placeOrder(v.id);
    const admin = await createAdmin();
    for (const status of ["confirmed", "processing", "shipped"]) expect((await setStatus(admin.token, orderId, status)).status).toBe(200);
    const res = await call("POST", `/api/v1/store/orders/${orderId}/cancel`, { token: customer.token });
    expect(res.status).toBe(409);
    expectErrorEnvelope(res, "INVALID_STATE");
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(4);
  });
});

describe("GET /api/v1/admin/orders", () => {
  it("lists orders by status for an admin and refuses a customer", async () => {
    const v = await createVariant(5);
    const { customer, orderId } = await placeOrder(v.id);
    const admin = await createAdmin();
    await setStatus(admin.token, orderId, "confirmed");
    const res = await call("GET", "/api/v1/admin/orders?status=confirmed&limit=100", { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.json.data.map((o: { id: string }) => o.id)).toContain(orderId);
    expect(res.json.data.every((o: { status: string }) => o.status === "confirmed")).toBe(true);
    expect((await call("GET", "/api/v1/admin/orders", { token: customer.token })).status).toBe(403);
    expect((await call("GET", `/api/v1/admin/orders/${orderId}`, { token: admin.token })).json.id).toBe(orderId);
  });
});

describe("POST /api/v1/admin/orders/:id/status", () => {
  it("answers 409 INVALID_STATE for a transition outside the state machine", async () => {
    const v = await createVariant(5);
    const { orderId } = await placeOrder(v.id);
    const admin = await createAdmin();
    const res = await setStatus(admin.token, orderId, "delivered");
    expect(res.status).toBe(409);
    expectErrorEnvelope(res, "INVALID_STATE");
  });

  it("answers 422 for an unknown status", async () => {
    const v = await createVariant(5);
    const { orderId } = await placeOrder(v.id);
    const admin = await createAdmin();
    expect((await setStatus(admin.token, orderId, "teleported")).status).toBe(422);
  });
});

describe("POST /api/v1/admin/orders/:id/refund", () => {
  it("refunds and returns the stock when asked", async () => {
    const v = await createVariant(5);
    const { orderId } = await placeOrder(v.id, 2);
    const admin = await createAdmin();
    const res = await call("POST", `/api/v1/admin/orders/${orderId}/refund`, { token: admin.token, body: { restock: true } });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe("refunded");
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(5);
    const again = await call("POST", `/api/v1/admin/orders/${orderId}/refund`, { token: admin.token, body: { restock: true } });
    expect(again.status).toBe(409);
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(5);
  });

  it("refunds without touching stock by default", async () => {
    const v = await createVariant(5);
    const { orderId } = await placeOrder(v.id, 2);
    const admin = await createAdmin();
    const res = await call("POST", `/api/v1/admin/orders/${orderId}/refund`, { token: admin.token });
    expect(res.json.status).toBe("refunded");
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(3);
  });
});
