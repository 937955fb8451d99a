/**
 * Returns (RMA) through the API. Invariants: a return never asks for more of an item than was
 * bought less what is already being returned; the refund of returned units is exactly their share
 * of what the line cost (after its discounts, with its tax), and the returns of a line add up to
 * its total; money goes back where it came from (the provider payment first, then gift cards),
 * confirmed before the return is `refunded`; restocked units come back on hand once.
 */
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testPaymentFaults, testPaymentLedger } from "../../src/modules/payments/test-provider";
import { scheduledTasks } from "../../src/scheduled";
import { applyCard, balanceLedger, buy, clearBalanceAlarms, deliver, issueGiftCard, quickAdmin, quickCustomer } from "../factories/after-purchase";
import { clearInventoryAlarms, createProduct, createVariant, inventoryStub } from "../factories/commerce";
import { createDiscount, enterCode } from "../factories/pricing";
import { createEndpoint } from "../factories/webhooks";
import { call, expectErrorEnvelope } from "../helpers";

let admin: Awaited<ReturnType<typeof quickAdmin>>;
beforeAll(async () => {
  admin = await quickAdmin();
  // Webhook deliveries of this file's events go to a receiver that accepts them (no network here).
  vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("ok"));
});
afterAll(async () => {
  vi.restoreAllMocks();
  testPaymentFaults.refund.length = 0;
  await clearBalanceAlarms();
  await clearInventoryAlarms();
});

type Shopper = Awaited<ReturnType<typeof quickCustomer>>;
const requestReturn = (s: Shopper, orderId: string, body: unknown) => call("POST", `/api/v1/store/orders/${orderId}/returns`, { token: s.token, body });
const adminPost = (path: string, body?: unknown) => call("POST", `/api/v1/admin${path}`, { token: admin.token, body });
const onHand = async (variantId: string) => (await inventoryStub(variantId).snapshot(variantId)).onHand;
const refundsOfCharge = (ref: string) => testPaymentLedger.refunds.filter((r) => r.paymentRef === ref).map((r) => r.amount);
const chargeOf = (checkoutId: string) => testPaymentLedger.charges.find((c) => c.checkoutId === checkoutId)!;

/** A delivered order of `quantity` units; with a 301-cent code and 10 % tax unless told otherwise. */
async function deliveredOrder(opts: { quantity?: number; price?: number; taxRateBps?: number; discount?: number; before?: (s: Shopper) => Promise<unknown> } = {}) {
  const v = await createVariant(10, opts.price ?? 1000, opts.taxRateBps ?? 1000);
  const shopper = await quickCustomer();
  const code = opts.discount === 0 ? null : (await createDiscount({ kind: "cart_fixed", value: opts.discount ?? 301 })).code!;
  const { checkout, orderId } = await buy(shopper, [{ variantId: v.id, quantity: opts.quantity ?? 2 }], async () => {
    if (code) expect((await enterCode(shopper.token, code)).status).toBe(200);
    await opts.before?.(shopper);
  });
  await deliver(admin.token, orderId);
  return { v, shopper, orderId, checkoutId: checkout.id as string };
}

async function approveAndReceive(returnId: string, body: unknown = { restock: true }) {
  expect((await adminPost(`/returns/${returnId}/approve`)).status).toBe(200);
  return adminPost(`/returns/${returnId}/receive`, body);
}

describe("POST /api/v1/store/orders/:id/returns", () => {
  it("refunds exactly what one of two units cost (discount and tax included) and puts it back on hand", async () => {
    // 2 × 1000, code −301 → 1699, tax 10 % → 170: the line cost 1869.
    const { v, shopper, orderId, checkoutId } = await deliveredOrder();
    const order = await call("GET", `/api/v1/store/orders/${orderId}`, { token: shopper.token });
    expect(order.json.lines[0].total.amount).toBe(1869);
    const stockBefore = await onHand(v.id);

    const first = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1, reason: "too big" }] });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ orderId, status: "requested", refundAmount: { amount: 934, currency: "USD" }, lines: [{ variantId: v.id, quantity: 1, reason: "too big", amount: { amount: 934 }, tax: { amount: 85 } }] });
    const received = await approveAndReceive(first.json.id);
    expect(received.status).toBe(200);
    expect(received.json).toMatchObject({ status: "refunded", restock: true, refunds: [{ destination: "payment", amount: { amount: 934 }, status: "succeeded" }] });
    expect(await onHand(v.id)).toBe(stockBefore + 1);
    expect(refundsOfCharge(chargeOf(checkoutId).ref)).toEqual([934]);

    // The last unit takes what is left, so both returns add up to the line's total.
    const second = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }] });
    expect(second.json.refundAmount.amount).toBe(935);
    await approveAndReceive(second.json.id, { restock: false });
    expect(await onHand(v.id)).toBe(stockBefore + 1);
    expect(refundsOfCharge(chargeOf(checkoutId).ref)).toEqual([934, 935]);
    const payment = await env.DB.prepare("SELECT status FROM payments WHERE checkout_id = ?").bind(checkoutId).first<{ status: string }>();
    expect(payment!.status).toBe("refunded");
    const mine = await call("GET", "/api/v1/store/returns", { token: shopper.token });
    expect(mine.json.data.map((r: { id: string }) => r.id)).toEqual([second.json.id, first.json.id]);
  });

  it("answers 422 for more than was bought less what is being returned, and for an order not delivered yet", async () => {
    const { v, shopper, orderId } = await deliveredOrder({ discount: 0 });
    const tooMany = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 3 }] });
    expect(tooMany.status).toBe(422);
    expect(tooMany.json.error.details).toMatchObject({ reason: "more_than_bought", returnable: 2 });
    expect((await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 2 }] })).status).toBe(201);
    const again = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }] });
    expect(again.status).toBe(422);
    expect(again.json.error.details.returnable).toBe(0);

    const w = await createVariant(5, 500, 0);
    const { orderId: fresh } = await buy(shopper, [{ variantId: w.id, quantity: 1 }]);
    const early = await requestReturn(shopper, fresh, { lines: [{ variantId: w.id, quantity: 1 }] });
    expect(early.status).toBe(422);
    expect(early.json.error.details.reason).toBe("not_delivered");
  });

  it("answers 422 once the return window has closed, and 404 for another customer's order", async () => {
    const { v, shopper, orderId } = await deliveredOrder({ discount: 0 });
    const stranger = await quickCustomer();
    const theirs = await requestReturn(stranger, orderId, { lines: [{ variantId: v.id, quantity: 1 }] });
    expect(theirs.status).toBe(404);
    expectErrorEnvelope(theirs, "NOT_FOUND");
    await env.DB.prepare("UPDATE order_events SET created_at = ? WHERE order_id = ? AND status = 'delivered'").bind(Date.now() - 31 * 86_400_000, orderId).run();
    const late = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }] });
    expect(late.status).toBe(422);
    expect(late.json.error.details.reason).toBe("window_closed");
  });

  it("two requests racing for the last unit: exactly one wins", async () => {
    const { v, shopper, orderId } = await deliveredOrder({ quantity: 1, discount: 0 });
    const both = await Promise.all([1, 2].map(() => requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }] })));
    expect(both.filter((r) => r.status === 201)).toHaveLength(1);
    // The loser read the unit as taken (422), or lost inside the write (409, safe to retry).
    expect([409, 422]).toContain(both.find((r) => r.status !== 201)!.status);
    const lines = await env.DB.prepare("SELECT COUNT(*) AS n FROM return_lines WHERE order_id = ?").bind(orderId).first<{ n: number }>();
    expect(lines!.n).toBe(1);
  });
});

describe("admin: approve, reject, receive", () => {
  it("follows requested → approved → received → refunded; a rejected return frees its units", async () => {
    const { v, shopper, orderId } = await deliveredOrder({ discount: 0 });
    const asked = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 2 }] });
    const early = await adminPost(`/returns/${asked.json.id}/receive`, { restock: true });
    expect(early.status).toBe(409);
    expectErrorEnvelope(early, "INVALID_STATE");
    const rejected = await adminPost(`/returns/${asked.json.id}/reject`, { note: "worn" });
    expect(rejected.json).toMatchObject({ status: "rejected", note: "worn" });
    expect((await adminPost(`/returns/${asked.json.id}/approve`)).status).toBe(409);
    const again = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 2 }] });
    expect(again.status).toBe(201);
    const listed = await call("GET", "/api/v1/admin/returns?status=requested&limit=100", { token: admin.token });
    expect(listed.json.data.map((r: { id: string }) => r.id)).toContain(again.json.id);
  });

  it("a refund the provider fails stays received until the retry confirms it, then the return is refunded", async () => {
    const { v, shopper, orderId } = await deliveredOrder({ quantity: 1, discount: 0 });
    const asked = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }] });
    testPaymentFaults.refund.push("provider_error");
    const received = await approveAndReceive(asked.json.id);
    expect(received.json).toMatchObject({ status: "received", refunds: [{ destination: "payment", amount: { amount: 1100 }, status: "pending" }] });
    await scheduledTasks.find((t) => t.name === "retry_due_refunds")!.run(env, Date.now() + 5 * 60_000);
    const after = await call("GET", `/api/v1/store/returns/${asked.json.id}`, { token: shopper.token });
    expect(after.json).toMatchObject({ status: "refunded", refunds: [{ status: "succeeded" }] });
  });

  it("pays back the provider first, then the gift card that paid; or all as store credit when asked", async () => {
    const card = await issueGiftCard(admin.token, 1000);
    const { v, shopper, orderId, checkoutId } = await deliveredOrder({ quantity: 2, price: 1500, taxRateBps: 0, discount: 0, before: (s) => applyCard(s.token, card.code) });
    expect(chargeOf(checkoutId).amount).toBe(2000);
    const both = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 2 }] });
    const received = await approveAndReceive(both.json.id);
    expect(received.json.refunds).toEqual([
      { destination: "payment", amount: { amount: 2000, currency: "USD" }, status: "succeeded" },
      { destination: "gift_card", amount: { amount: 1000, currency: "USD" }, status: "succeeded" },
    ]);
    expect((await balanceLedger(card.id)).account).toEqual({ issued: 1000, balance: 1000, held: 0 });

    const other = await deliveredOrder({ quantity: 1, price: 800, taxRateBps: 0, discount: 0 });
    const credit = await requestReturn(other.shopper, other.orderId, { lines: [{ variantId: other.v.id, quantity: 1 }], refundTo: "store_credit" });
    const toCredit = await approveAndReceive(credit.json.id);
    expect(toCredit.json).toMatchObject({ status: "refunded", refundTo: "store_credit", refunds: [{ destination: "store_credit", amount: { amount: 800 } }] });
    expect(refundsOfCharge(chargeOf(other.checkoutId).ref)).toEqual([]);
    const balance = await call("GET", "/api/v1/store/store-credit", { token: other.shopper.token });
    expect(balance.json).toMatchObject({ balance: { amount: 800 }, entries: [{ kind: "refund", reference: credit.json.id }] });
  });

  it("refuses to refund the whole order once a return moved money, so nothing is refunded twice", async () => {
    const { v, shopper, orderId } = await deliveredOrder({ discount: 0 });
    const asked = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }] });
    await approveAndReceive(asked.json.id);
    const refund = await adminPost(`/orders/${orderId}/refund`, { restock: true });
    expect(refund.status).toBe(409);
    expectErrorEnvelope(refund, "INVALID_STATE");
  });

  it("writes return.requested and return.received webhook events and the refund email", async () => {
    await createEndpoint(admin.token, ["return.requested", "return.received"]);
    const { v, shopper, orderId } = await deliveredOrder({ quantity: 1, discount: 0 });
    const asked = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }] });
    await approveAndReceive(asked.json.id);
    const events = await env.DB.prepare("SELECT type, data FROM webhook_events WHERE dedupe_key IN (?, ?) ORDER BY type DESC")
      .bind(`return.requested:${asked.json.id}`, `return.received:${asked.json.id}`)
      .all<{ type: string; data: string }>();
    expect(events.results.map((e) => e.type)).toEqual(["return.requested", "return.received"]);
    expect(JSON.parse(events.results[1]!.data)).toMatchObject({ returnId: asked.json.id, orderId, refundAmount: { amount: 1100 }, restock: true });
    const email = await env.DB.prepare("SELECT template, payload FROM email_outbox WHERE dedupe_key = ?").bind(`return_refund:${asked.json.id}`).first<{ template: string; payload: string }>();
    expect(email!.template).toBe("refund");
    expect(JSON.parse(email!.payload)).toMatchObject({ orderId, refundAmount: 1100 });
  });

  it("refunds the order's shipping with the return that brings the whole order back (when orders record shipping)", async () => {
    // Markets (issue 14) adds orders.shipping_total; until then this test adds it the same way.
    const columns = await env.DB.prepare("PRAGMA table_info(orders)").all<{ name: string }>();
    if (!columns.results.some((c) => c.name === "shipping_total")) await env.DB.prepare("ALTER TABLE orders ADD COLUMN shipping_total INTEGER NOT NULL DEFAULT 0").run();
    const { productId, variants } = await createProduct({ variants: [{ price: 1000, stock: 5 }, { price: 400, stock: 5 }] });
    expect(productId).toBeTruthy();
    const shopper = await quickCustomer();
    const { orderId } = await buy(shopper, variants.map((v) => ({ variantId: v.id, quantity: 1 })));
    await env.DB.prepare("UPDATE orders SET shipping_total = 500 WHERE id = ?").bind(orderId).run();
    await deliver(admin.token, orderId);
    const part = await requestReturn(shopper, orderId, { lines: [{ variantId: variants[0]!.id, quantity: 1 }] });
    expect(part.json).toMatchObject({ shippingAmount: { amount: 0 }, refundAmount: { amount: 1000 } });
    const rest = await requestReturn(shopper, orderId, { lines: [{ variantId: variants[1]!.id, quantity: 1 }] });
    expect(rest.json).toMatchObject({ shippingAmount: { amount: 500 }, refundAmount: { amount: 900 } });
  });
});

describe("exchanges", () => {
  it("reserves the replacement at approval, ships it as a zero-price order when the goods are back, and refunds the difference", async () => {
    const { v, shopper, orderId } = await deliveredOrder({ quantity: 1, taxRateBps: 0, discount: 0 });
    const replacement = await createVariant(3, 800, 0);
    const asked = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }], exchange: [{ variantId: replacement.id, quantity: 1 }] });
    expect(asked.status).toBe(201);
    expect(asked.json).toMatchObject({ returnedAmount: { amount: 1000 }, refundAmount: { amount: 200 }, exchange: { amount: { amount: 800 }, orderId: null } });
    expect((await adminPost(`/returns/${asked.json.id}/approve`)).status).toBe(200);
    expect(await inventoryStub(replacement.id).snapshot(replacement.id)).toMatchObject({ onHand: 3, reserved: 1 });
    const received = await adminPost(`/returns/${asked.json.id}/receive`, { restock: true });
    expect(received.json).toMatchObject({ status: "refunded", refundAmount: { amount: 200 }, refunds: [{ destination: "payment", amount: { amount: 200 } }] });
    expect(await inventoryStub(replacement.id).snapshot(replacement.id)).toMatchObject({ onHand: 2, reserved: 0 });
    const exchangeOrder = await call("GET", `/api/v1/store/orders/${received.json.exchange.orderId}`, { token: shopper.token });
    expect(exchangeOrder.status).toBe(200);
    expect(exchangeOrder.json).toMatchObject({ status: "pending", totals: { total: { amount: 0 } }, lines: [{ variantId: replacement.id, quantity: 1, total: { amount: 0 } }] });
  });

  it("answers 422 when the replacement costs more than what comes back", async () => {
    const { v, shopper, orderId } = await deliveredOrder({ quantity: 1, taxRateBps: 0, discount: 0 });
    const dearer = await createVariant(3, 5000, 0);
    const asked = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }], exchange: [{ variantId: dearer.id, quantity: 1 }] });
    expect(asked.status).toBe(422);
    expect(asked.json.error.details).toMatchObject({ reason: "exchange_costs_more", returnedAmount: 1000, exchangeAmount: 5000 });
  });

  it("a rejected exchange lets its reserved replacement go", async () => {
    const { v, shopper, orderId } = await deliveredOrder({ quantity: 1, taxRateBps: 0, discount: 0 });
    const replacement = await createVariant(2, 900, 0);
    const asked = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }], exchange: [{ variantId: replacement.id, quantity: 1 }] });
    await adminPost(`/returns/${asked.json.id}/approve`);
    expect((await inventoryStub(replacement.id).snapshot(replacement.id)).reserved).toBe(1);
    await adminPost(`/returns/${asked.json.id}/reject`);
    expect(await inventoryStub(replacement.id).snapshot(replacement.id)).toMatchObject({ onHand: 2, reserved: 0 });
  });
});
