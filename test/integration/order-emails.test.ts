/**
 * Shipping and refund emails are outbox rows written in the same batch as the status change, one
 * per order and kind, and go out through the email consumer like every other email.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { localOutbox } from "../../src/modules/notifications/providers";
import { deliverOutboxEmail } from "../../src/modules/notifications/service";
import { clearInventoryAlarms, createVariant, placeOrder } from "../factories/commerce";
import { call, createAdmin } from "../helpers";

afterEach(() => clearInventoryAlarms());

const setStatus = (token: string, id: string, status: string) => call("POST", `/api/v1/admin/orders/${id}/status`, { token, body: { status } });
const outboxOf = (orderId: string, template: string) =>
  env.DB.prepare("SELECT id, to_address, status FROM email_outbox WHERE dedupe_key = ?").bind(`${template}:${orderId}`).all<{ id: string; to_address: string; status: string }>();

describe("order status emails", () => {
  it("writes one shipping_update email when the order ships, and sends it with the order's lines", async () => {
    const v = await createVariant(5, 1999);
    const { customer, orderId } = await placeOrder(v.id, 2);
    const admin = await createAdmin();
    expect((await outboxOf(orderId, "shipping_update")).results).toEqual([]);
    for (const status of ["confirmed", "processing", "shipped"]) expect((await setStatus(admin.token, orderId, status)).status).toBe(200);
    const rows = (await outboxOf(orderId, "shipping_update")).results;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.to_address).toBe(customer.email);

    await deliverOutboxEmail(env, rows[0]!.id);
    const sent = localOutbox.filter((e) => e.idempotencyKey === rows[0]!.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toMatch(/shipped/);
  });

  it("writes a refund email with the refunded amount when an admin refunds", async () => {
    const v = await createVariant(5, 2500);
    const { orderId } = await placeOrder(v.id, 1);
    const admin = await createAdmin();
    expect((await call("POST", `/api/v1/admin/orders/${orderId}/refund`, { token: admin.token, body: {} })).status).toBe(200);
    const rows = (await outboxOf(orderId, "refund")).results;
    expect(rows).toHaveLength(1);
    await deliverOutboxEmail(env, rows[0]!.id);
    const sent = localOutbox.find((e) => e.idempotencyKey === rows[0]!.id)!;
    // Formatted for the order's language (English here): markets.
    expect(sent.text).toContain("$25.00");
  });

  it("writes no email when the transition is refused", async () => {
    const v = await createVariant(5);
    const { orderId } = await placeOrder(v.id);
    const admin = await createAdmin();
    expect((await setStatus(admin.token, orderId, "shipped")).status).toBe(409);
    expect((await outboxOf(orderId, "shipping_update")).results).toEqual([]);
  });
});
