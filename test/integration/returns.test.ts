/**
 * Returns (RMA) through the API. Invariants: a return never asks for more of an item than was
 * bought less what is already being returned; the refund of returned units is exactly their share
 * of what the line cost (after its discounts, with its tax), and the returns of a line add up to
 * its total; money goes back where it came from (the provider payment first, then gift cards),
 * confirmed before the return is `refunded`; restocked units come back on hand once.
 */
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testPaymentFaults, testPaymentLedger, testProvider } from "../../src/modules/payments/test-provider";
import { settlePayingDifferences } from "../../src/modules/returns/difference";
import { scheduledTasks } from "../../src/scheduled";
import { applyCard, balanceLedger, buy, clearBalanceAlarms, deliver, issueGiftCard, quickAdmin, quickCustomer } from "../factories/after-purchase";
import { clearInventoryAlarms, createProduct, createVariant, inventoryStub } from "../factories/commerce";
import { createDiscount, enterCode } from "../factories/pricing";
import { createEndpoint } from "../factories/webhooks";
import { call, callWith, expectErrorEnvelope } from "../helpers";
import { FakeStripe } from "../fakes/stripe";
import { retryDueRefunds } from "../../src/modules/refunds/service";
import { dropExchange } from "../../src/modules/returns/exchange";

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

describe("listing returns", () => {
  it("a full page of 100 returns, each with its refund and a price difference, answers 200 (D1 allows 100 bound variables)", async () => {
    const { shopper, orderId } = await deliveredOrder({ quantity: 1, discount: 0 });
    const now = Date.now();
    const statements = [];
    for (let i = 0; i < 100; i++) {
      const id = `ret_${now.toString(36)}PAGE${String(i).padStart(3, "0")}`;
      statements.push(
        env.DB.prepare(
          `INSERT INTO returns (id, order_id, customer_id, status, currency, returned_amount, refund_amount, amount_due, difference_status, refund_id, version, created_at, updated_at)
           VALUES (?, ?, ?, 'rejected', 'USD', 100, 100, 50, 'due', ?, 1, ?, ?)`,
        ).bind(id, orderId, shopper.userId, `rfd_missing_${i}`, now + i, now + i),
      );
    }
    await env.DB.batch(statements);
    const page = await call("GET", "/api/v1/store/returns?limit=100", { token: shopper.token });
    expect(page.status).toBe(200);
    expect(page.json.data).toHaveLength(100);
    expect(page.json.data[0]).toMatchObject({ status: "rejected", difference: { amount: { amount: 50 }, status: "due" }, refunds: [] });
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

  it("refuses to refund the whole order while a return of it is open (it could never be received); rejecting the return unblocks it", async () => {
    const { v, shopper, orderId, checkoutId } = await deliveredOrder({ discount: 0 });
    const asked = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }] });
    expect((await adminPost(`/returns/${asked.json.id}/approve`)).status).toBe(200);
    const blocked = await adminPost(`/orders/${orderId}/refund`, { restock: true });
    expect(blocked.status).toBe(409);
    expect(blocked.json.error.details).toMatchObject({ reason: "open_return" });
    expect(refundsOfCharge(chargeOf(checkoutId).ref)).toEqual([]);
    expect((await adminPost(`/returns/${asked.json.id}/reject`)).status).toBe(200);
    expect((await adminPost(`/orders/${orderId}/refund`, { restock: true })).status).toBe(200);
    expect(refundsOfCharge(chargeOf(checkoutId).ref)).toEqual([2200]);
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
    // The returned goods paid for it: cancelling it alone would give nothing back, so neither the customer nor an admin can.
    const cancelled = await call("POST", `/api/v1/store/orders/${received.json.exchange.orderId}/cancel`, { token: shopper.token });
    expect(cancelled.status).toBe(409);
    expect(cancelled.json.error.details).toMatchObject({ reason: "exchange_order" });
    const refunded = await adminPost(`/orders/${received.json.exchange.orderId}/status`, { status: "cancelled" });
    expect(refunded.status).toBe(409);
    expect(await inventoryStub(replacement.id).snapshot(replacement.id)).toMatchObject({ onHand: 2, reserved: 0 });
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

describe("exchanges that cost more: the customer pays the difference", () => {
  const payDifference = (s: Shopper, returnId: string, body: unknown = { token: "tok_success" }, workerEnv: Env = env) =>
    callWith(workerEnv, "POST", `/api/v1/store/returns/${returnId}/payment`, { token: s.token, body });
  const differenceCharges = (returnId: string) => testPaymentLedger.charges.filter((c) => c.checkoutId === `exc_${returnId.slice(4)}`);

  /** A delivered 1000-cent unit asked back in exchange for a 5000-cent one: 4000 to pay. */
  async function dearerExchange(stock = 3) {
    const { v, shopper, orderId, checkoutId } = await deliveredOrder({ quantity: 1, taxRateBps: 0, discount: 0 });
    const dearer = await createVariant(stock, 5000, 0);
    const asked = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }], exchange: [{ variantId: dearer.id, quantity: 1 }] });
    expect(asked.status).toBe(201);
    return { v, shopper, orderId, checkoutId, dearer, returnId: asked.json.id as string, asked };
  }

  it("is due at request, blocks approval until paid, is charged once, and the replacement ships with nothing refunded", async () => {
    const { shopper, checkoutId, dearer, returnId, asked } = await dearerExchange();
    expect(asked.json).toMatchObject({ returnedAmount: { amount: 1000 }, exchange: { amount: { amount: 5000 } }, refundAmount: { amount: 0 }, difference: { amount: { amount: 4000, currency: "USD" }, status: "due" } });
    const early = await adminPost(`/returns/${returnId}/approve`);
    expect(early.status).toBe(409);
    expect(early.json.error.details).toMatchObject({ reason: "difference_unpaid", differenceStatus: "due" });

    const declined = await payDifference(shopper, returnId, { token: "tok_decline" });
    expect(declined.status).toBe(402);
    expectErrorEnvelope(declined, "PAYMENT_FAILED");
    expect(differenceCharges(returnId)).toEqual([]);
    const paid = await payDifference(shopper, returnId);
    expect(paid.status).toBe(200);
    expect(paid.json).toMatchObject({ id: returnId, status: "requested", difference: { amount: { amount: 4000 }, status: "paid" } });
    // Paying again charges nothing more.
    expect((await payDifference(shopper, returnId)).json.difference.status).toBe("paid");
    expect(differenceCharges(returnId).map((c) => c.amount)).toEqual([4000]);

    expect((await adminPost(`/returns/${returnId}/approve`)).status).toBe(200);
    expect(await inventoryStub(dearer.id).snapshot(dearer.id)).toMatchObject({ onHand: 3, reserved: 1 });
    const received = await adminPost(`/returns/${returnId}/receive`, { restock: true });
    expect(received.json).toMatchObject({ status: "refunded", refundAmount: { amount: 0 }, refunds: [], exchange: { orderId: expect.stringMatching(/^ord_/) } });
    expect(await inventoryStub(dearer.id).snapshot(dearer.id)).toMatchObject({ onHand: 2, reserved: 0 });
    expect(refundsOfCharge(chargeOf(checkoutId).ref)).toEqual([]);
    expect(refundsOfCharge(differenceCharges(returnId)[0]!.ref)).toEqual([]);
  });

  it("a difference below EXCHANGE_MIN_CHARGE is waived: nothing to pay, the return can be approved", async () => {
    const { v, shopper, orderId } = await deliveredOrder({ quantity: 1, taxRateBps: 0, discount: 0 });
    const slightlyDearer = await createVariant(3, 1030, 0);
    const asked = await requestReturn(shopper, orderId, { lines: [{ variantId: v.id, quantity: 1 }], exchange: [{ variantId: slightlyDearer.id, quantity: 1 }] });
    expect(asked.json).toMatchObject({ refundAmount: { amount: 0 }, difference: null, exchange: { amount: { amount: 1030 } } });
    expect((await adminPost(`/returns/${asked.json.id}/approve`)).status).toBe(200);
  });

  it("an exchange's own order cannot be returned (its lines cost 0): 422 exchange_order", async () => {
    const { shopper, returnId } = await dearerExchange();
    await payDifference(shopper, returnId);
    expect((await adminPost(`/returns/${returnId}/approve`)).status).toBe(200);
    const received = await adminPost(`/returns/${returnId}/receive`, { restock: true });
    const exchangeOrderId = received.json.exchange.orderId as string;
    await deliver(admin.token, exchangeOrderId);
    const exchangeOrder = await call("GET", `/api/v1/store/orders/${exchangeOrderId}`, { token: shopper.token });
    const again = await requestReturn(shopper, exchangeOrderId, { lines: [{ variantId: exchangeOrder.json.lines[0].variantId, quantity: 1 }] });
    expect(again.status).toBe(422);
    expect(again.json.error.details).toMatchObject({ reason: "exchange_order" });
  });

  it("another customer's return answers 404 and nothing is charged; a return with nothing due answers 409", async () => {
    const { returnId } = await dearerExchange();
    const stranger = await quickCustomer();
    const res = await payDifference(stranger, returnId);
    expect(res.status).toBe(404);
    expectErrorEnvelope(res, "NOT_FOUND");
    expect(differenceCharges(returnId)).toEqual([]);

    const plain = await deliveredOrder({ quantity: 1, discount: 0 });
    const asked = await requestReturn(plain.shopper, plain.orderId, { lines: [{ variantId: plain.v.id, quantity: 1 }] });
    expect(asked.json.difference).toBeNull();
    const nothing = await payDifference(plain.shopper, asked.json.id);
    expect(nothing.status).toBe(409);
    expect(nothing.json.error.details).toMatchObject({ reason: "nothing_due" });
  });

  it("two payments at once charge the difference once", async () => {
    const { shopper, returnId } = await dearerExchange();
    const answers = await Promise.all([payDifference(shopper, returnId), payDifference(shopper, returnId), payDifference(shopper, returnId)]);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const a of answers) expect([200, 409]).toContain(a.status);
    expect(differenceCharges(returnId).map((c) => c.amount)).toEqual([4000]);
    expect((await call("GET", `/api/v1/store/returns/${returnId}`, { token: shopper.token })).json.difference.status).toBe("paid");
  });

  it("a charge whose answer was lost is found by asking the provider: paid once, not charged again", async () => {
    const { shopper, returnId } = await dearerExchange();
    testPaymentFaults.start.push("network_after");
    const paid = await payDifference(shopper, returnId);
    expect(paid.status).toBe(200);
    expect(paid.json.difference.status).toBe("paid");
    expect(differenceCharges(returnId).map((c) => c.amount)).toEqual([4000]);
  });

  it("the sweep settles attempts whose request died: a charge the provider made is recorded, one it never saw is due again", async () => {
    const charged = await dearerExchange();
    const unseen = await dearerExchange();
    const longAgo = Date.now() - 120_000;
    for (const id of [charged.returnId, unseen.returnId]) {
      await env.DB.prepare("UPDATE returns SET difference_status = 'paying', payment_attempts = 1, updated_at = ? WHERE id = ?").bind(longAgo, id).run();
    }
    // The first request reached the provider before it died.
    const key = `exc_${charged.returnId.slice(4)}`;
    await testProvider.start({ checkoutId: key, attemptKey: `${key}:1`, amount: 4000, currency: "USD", token: "tok_success" });
    expect(await settlePayingDifferences(env, Date.now())).toMatchObject({ settled: 2 });
    expect((await call("GET", `/api/v1/store/returns/${charged.returnId}`, { token: charged.shopper.token })).json.difference.status).toBe("paid");
    expect((await call("GET", `/api/v1/store/returns/${unseen.returnId}`, { token: unseen.shopper.token })).json.difference.status).toBe("due");
    expect(differenceCharges(charged.returnId).length).toBe(1);
    // The one due again can be paid.
    expect((await payDifference(unseen.shopper, unseen.returnId)).json.difference.status).toBe("paid");
  });

  it("rejecting the return gives the paid difference back through a confirmed refund", async () => {
    const { shopper, returnId, dearer } = await dearerExchange();
    await payDifference(shopper, returnId);
    const charge = differenceCharges(returnId)[0]!;
    testPaymentFaults.refund.push("provider_error");
    const rejected = await adminPost(`/returns/${returnId}/reject`, { note: "worn" });
    expect(rejected.status).toBe(200);
    // The provider failed the first attempt: promised, not yet confirmed.
    expect(rejected.json).toMatchObject({ status: "rejected", refunds: [{ destination: "payment", amount: { amount: 4000 }, status: "pending" }] });
    expect(refundsOfCharge(charge.ref)).toEqual([]);
    await env.DB.prepare("UPDATE refunds SET next_attempt_at = 0 WHERE dedupe_key LIKE 'payment:%' AND status = 'pending'").run();
    await retryDueRefunds(env, Date.now());
    const after = await call("GET", `/api/v1/store/returns/${returnId}`, { token: shopper.token });
    expect(after.json.refunds).toEqual([{ destination: "payment", amount: { amount: 4000, currency: "USD" }, status: "succeeded" }]);
    expect(refundsOfCharge(charge.ref)).toEqual([4000]);
    expect((await inventoryStub(dearer.id).snapshot(dearer.id)).reserved).toBe(0);
  });

  it("an exchange dropped at receipt (the replacement is gone) refunds the returned units and the paid difference", async () => {
    const { shopper, checkoutId, returnId } = await dearerExchange();
    await payDifference(shopper, returnId);
    expect((await adminPost(`/returns/${returnId}/approve`)).status).toBe(200);
    // The hold lapsed and the stock went: nothing can be sold to the exchange any more.
    const row = await env.DB.prepare("SELECT exchange_items FROM returns WHERE id = ?").bind(returnId).first<{ exchange_items: string }>();
    await dropExchange(env, returnId, JSON.parse(row!.exchange_items));
    const received = await adminPost(`/returns/${returnId}/receive`, { restock: true });
    expect(received.status).toBe(200);
    expect(received.json).toMatchObject({ status: "refunded", exchange: null, refundAmount: { amount: 1000 } });
    expect(received.json.refunds).toEqual(
      expect.arrayContaining([
        { destination: "payment", amount: { amount: 1000, currency: "USD" }, status: "succeeded" },
        { destination: "payment", amount: { amount: 4000, currency: "USD" }, status: "succeeded" },
      ]),
    );
    expect(refundsOfCharge(chargeOf(checkoutId).ref)).toEqual([1000]);
    expect(refundsOfCharge(differenceCharges(returnId)[0]!.ref)).toEqual([4000]);
  });

  it("with a Stripe-compatible provider: the client secret, then the signed webhook pays it; one paid after rejection goes back", async () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    stripe.install();
    const shopEnv = { ...env, PAYMENT_PROVIDER: "stripe", PAYMENT_API_KEY: "sk_test_edgeshop" } as Env;
    const { shopper, returnId } = await dearerExchange();
    const started = await payDifference(shopper, returnId, {}, shopEnv);
    expect(started.status).toBe(200);
    expect(started.json).toMatchObject({ difference: { status: "paying" }, payment: { clientSecret: expect.stringMatching(/_secret_/) } });
    const again = await payDifference(shopper, returnId, {}, shopEnv);
    expect(again.json.payment.clientSecret).toBe(started.json.payment.clientSecret);
    const intent = [...stripe.intents.values()].find((i) => i.checkoutId === `exc_${returnId.slice(4)}`)!;
    expect(intent.amount).toBe(4000);
    const hook = await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.confirm(intent.id)));
    expect(hook.json).toEqual({ received: true, handled: true });
    expect((await call("GET", `/api/v1/store/returns/${returnId}`, { token: shopper.token })).json.difference.status).toBe("paid");

    // A second shopper starts paying, the return is rejected meanwhile, then the customer confirms: the money goes back.
    const late = await dearerExchange();
    await payDifference(late.shopper, late.returnId, {}, shopEnv);
    expect((await callWith(shopEnv, "POST", `/api/v1/admin/returns/${late.returnId}/reject`, { token: admin.token, body: {} })).status).toBe(200);
    const lateIntent = [...stripe.intents.values()].find((i) => i.checkoutId === `exc_${late.returnId.slice(4)}`)!;
    await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.confirm(lateIntent.id)));
    expect(stripe.capturedNet(lateIntent.id)).toBe(0);
    expect(stripe.refundedOf(lateIntent.id)).toBe(4000);
    // The customer sees the money that came back on the return, and nothing is left being paid.
    const lateView = await call("GET", `/api/v1/store/returns/${late.returnId}`, { token: late.shopper.token });
    expect(lateView.json).toMatchObject({ status: "rejected", difference: { status: "due" }, refunds: [{ destination: "payment", amount: { amount: 4000 }, status: "succeeded" }] });

    // The answer to creating an intent is lost: the provider is asked, the intent recorded, its secret handed out.
    const lost = await dearerExchange();
    stripe.faults.intents.push("network_after");
    const recovered = await payDifference(lost.shopper, lost.returnId, {}, shopEnv);
    expect(recovered.status).toBe(200);
    expect(recovered.json).toMatchObject({ difference: { status: "paying" }, payment: { clientSecret: expect.stringMatching(/_secret_/) } });
    const lostIntent = [...stripe.intents.values()].filter((i) => i.checkoutId === `exc_${lost.returnId.slice(4)}`);
    expect(lostIntent).toHaveLength(1);
    expect((await payDifference(lost.shopper, lost.returnId, {}, shopEnv)).json.payment.clientSecret).toBe(recovered.json.payment.clientSecret);
    await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.confirm(lostIntent[0]!.id)));
    expect((await call("GET", `/api/v1/store/returns/${lost.returnId}`, { token: lost.shopper.token })).json.difference.status).toBe("paid");
    expect(stripe.capturedNet(intent.id)).toBe(4000);
  });

  it("a rejected return's payment the customer has not confirmed is canceled by the sweep; one paid first goes back", async () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    stripe.install();
    const shopEnv = { ...env, PAYMENT_PROVIDER: "stripe", PAYMENT_API_KEY: "sk_test_edgeshop" } as Env;
    const intentOf = (returnId: string) => [...stripe.intents.values()].find((i) => i.checkoutId === `exc_${returnId.slice(4)}`)!;
    const paymentStatus = async (ref: string) => (await env.DB.prepare("SELECT status FROM payments WHERE provider_ref = ?").bind(ref).first<{ status: string }>())?.status;

    // Still unconfirmed when the return is rejected: after the sweep the customer can no longer pay it.
    const open = await dearerExchange();
    expect((await payDifference(open.shopper, open.returnId, {}, shopEnv)).json.payment.clientSecret).toMatch(/_secret_/);
    expect((await callWith(shopEnv, "POST", `/api/v1/admin/returns/${open.returnId}/reject`, { token: admin.token, body: {} })).status).toBe(200);
    // The provider cannot answer at the first sweep: nothing changes, the next sweep asks again.
    stripe.faults.intents.push("http_500");
    expect(await settlePayingDifferences(shopEnv, Date.now() + 61_000)).toMatchObject({ settled: 0 });
    expect(intentOf(open.returnId).status).toBe("requires_payment_method");
    expect(await settlePayingDifferences(shopEnv, Date.now() + 180_000)).toMatchObject({ settled: 1 });
    expect(intentOf(open.returnId).status).toBe("canceled");
    expect(() => stripe.confirm(intentOf(open.returnId).id)).toThrow(/canceled/);
    expect(await paymentStatus(intentOf(open.returnId).id)).toBe("canceled");
    const view = await call("GET", `/api/v1/store/returns/${open.returnId}`, { token: open.shopper.token });
    expect(view.json).toMatchObject({ status: "rejected", difference: { status: "due" }, refunds: [] });
    expect(await settlePayingDifferences(shopEnv, Date.now() + 300_000)).toMatchObject({ settled: 0, waiting: 0 });

    // Paid at the provider just before the cancel reaches it, its webhook not in yet: the cancel is
    // refused, the capture recorded and refunded.
    const paidFirst = await dearerExchange();
    await payDifference(paidFirst.shopper, paidFirst.returnId, {}, shopEnv);
    expect((await callWith(shopEnv, "POST", `/api/v1/admin/returns/${paidFirst.returnId}/reject`, { token: admin.token, body: {} })).status).toBe(200);
    const paidIntent = intentOf(paidFirst.returnId);
    stripe.faults.intents.push("paid_first");
    expect(await settlePayingDifferences(shopEnv, Date.now() + 61_000)).toMatchObject({ settled: 1 });
    expect(paidIntent.status).toBe("succeeded");
    expect(stripe.refundedOf(paidIntent.id)).toBe(4000);
    expect(stripe.capturedNet(paidIntent.id)).toBe(0);
    // The webhook comes after all: nothing is refunded twice.
    await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.confirm(paidIntent.id)));
    expect(stripe.refundedOf(paidIntent.id)).toBe(4000);
    const paidView = await call("GET", `/api/v1/store/returns/${paidFirst.returnId}`, { token: paidFirst.shopper.token });
    expect(paidView.json).toMatchObject({ status: "rejected", difference: { status: "due" }, refunds: [{ destination: "payment", amount: { amount: 4000 }, status: "succeeded" }] });
  });
});
