/**
 * A cancellation or refund never loses its stock or money: the status change records what must
 * be settled, and if the request dies before settling, the cron sweep finishes it exactly once.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { settleInterruptedOrders } from "../../src/modules/orders/service";
import { clearInventoryAlarms, createVariant, inventoryStub, placeOrder } from "../factories/commerce";
import { faultyEnv } from "../faults";
import { call, callWith, createAdmin } from "../helpers";

afterEach(() => clearInventoryAlarms());

const orderRow = (id: string) =>
  env.DB.prepare("SELECT status, settled_at AS settledAt, restock_on_settle AS restock FROM orders WHERE id = ?").bind(id).first<{ status: string; settledAt: number | null; restock: number }>();
const paymentStatus = (orderId: string) =>
  env.DB.prepare("SELECT status FROM payments WHERE order_id = ?").bind(orderId).first<{ status: string }>();

describe("order settlement", () => {
  it("settles a customer cancellation at once: stock back, payment refunded, marked settled", async () => {
    const v = await createVariant(5);
    const { customer, orderId } = await placeOrder(v.id, 2);
    expect((await call("POST", `/api/v1/store/orders/${orderId}/cancel`, { token: customer.token })).status).toBe(200);
    expect((await orderRow(orderId))!.settledAt).not.toBeNull();
    expect((await paymentStatus(orderId))!.status).toBe("refunded");
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(5);
  });

  it("finishes a cancellation whose request died after the status change, once", async () => {
    const v = await createVariant(5);
    const { customer, orderId } = await placeOrder(v.id, 3);
    // The status change (with its refund row) is written, then the Worker dies before stock and money move.
    const dying = faultyEnv(env, { dieAfter: 2 });
    const cancel = await callWith(dying, "POST", `/api/v1/store/orders/${orderId}/cancel`, { token: customer.token });
    expect(cancel.status).toBe(500);
    expect((await orderRow(orderId))!.status).toBe("cancelled");
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(2);
    expect((await paymentStatus(orderId))!.status).toBe("succeeded");

    expect((await settleInterruptedOrders(env, Date.now() + 5 * 60_000)).settled).toBeGreaterThanOrEqual(1);
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(5);
    expect((await paymentStatus(orderId))!.status).toBe("refunded");
    expect((await orderRow(orderId))!.settledAt).not.toBeNull();

    await settleInterruptedOrders(env);
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(5);
  });

  it("refunds without restocking when the admin did not ask for stock back", async () => {
    const v = await createVariant(5);
    const { orderId } = await placeOrder(v.id, 1);
    const admin = await createAdmin();
    expect((await call("POST", `/api/v1/admin/orders/${orderId}/refund`, { token: admin.token, body: {} })).status).toBe(200);
    expect(await orderRow(orderId)).toMatchObject({ status: "refunded", restock: 0 });
    expect((await orderRow(orderId))!.settledAt).not.toBeNull();
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(4);
  });

  it("finds interrupted settlements through the partial index, not a scan", async () => {
    const plan = await env.DB.prepare(
      "EXPLAIN QUERY PLAN SELECT id FROM orders INDEXED BY orders_unsettled_idx WHERE settled_at IS NULL AND status IN ('cancelled', 'refunded') AND updated_at < ? ORDER BY updated_at LIMIT ?",
    ).bind(0, 10).all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join(" ")).toMatch(/orders_unsettled_idx/);
  });
});
