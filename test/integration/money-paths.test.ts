/**
 * Regression tests for the defects of issue 11 ("money paths that cannot lose money"), one named
 * test (or more) per item. Each drives the real Worker (SELF, or its fetch handler with another
 * configuration) and, where the defect needed an interleaving or a fault, injects it.
 */
import { createScheduledController, createExecutionContext, env, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cancelEndedCheckoutPayments, expireAbandonedCheckouts, resumePaidCheckouts } from "../../src/modules/checkout/sweeps";
import { createCheckout, expireCheckout } from "../../src/modules/checkout/service";
import * as checkoutRepo from "../../src/modules/checkout/repo";
import { recordCapturedPayment } from "../../src/modules/checkout/payment";
import * as paymentsRepo from "../../src/modules/payments/repo";
import { checkoutIn, releaseClaimStatements } from "../../src/modules/checkout/discount-claims";
import { outboundBreakers } from "../../src/modules/outbound/breakers";
import * as testProviderModule from "../../src/modules/payments/test-provider";
import { testPaymentFaults, testPaymentLedger } from "../../src/modules/payments/test-provider";
import { runScheduled } from "../../src/scheduled";
import { FakeStripe } from "../fakes/stripe";
import { applyCard, balanceLedger, issueGiftCard } from "../factories/after-purchase";
import { addToCart, clearInventoryAlarms, createVariant, inventoryStub, pay, placeOrder, startCheckout } from "../factories/commerce";
import { createDiscount, enterCode } from "../factories/pricing";
import { faultyEnv, InjectedFault, latch, RequestDied as RequestDiedHere } from "../faults";
import { call, callWith, createAdmin, expectErrorEnvelope, registerCustomer } from "../helpers";

const HOUR = 3600_000;
const stripeEnv = (extra: Partial<Record<string, string>> = {}) => ({ ...env, PAYMENT_PROVIDER: "stripe", PAYMENT_API_KEY: "sk_test_edgeshop", ...extra }) as Env;

beforeEach(() => {
  testPaymentFaults.start.length = 0;
  testPaymentFaults.refund.length = 0;
});

afterEach(async () => {
  vi.restoreAllMocks();
  outboundBreakers.reset();
  await clearInventoryAlarms();
});

const one = async <T>(sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).first<T>())!;
const checkoutState = (id: string) => one<{ state: string }>("SELECT state FROM checkouts WHERE id = ?", id).then((r) => r.state);

/** Every cron task, as the scheduler runs them, at a moment `ahead` ms from now. */
async function runCron(ahead = 0) {
  const controller = createScheduledController({ scheduledTime: Date.now() + ahead, cron: "*/5 * * * *" });
  await runScheduled(controller, env, createExecutionContext()).catch(() => undefined);
}

async function lockedCheckout(stock: number, quantity: number, price = 1500) {
  const shopper = await registerCustomer();
  const v = await createVariant(stock, price);
  await addToCart(shopper.token, v.id, quantity);
  const res = await startCheckout(shopper.token);
  expect(res.status).toBe(201);
  return { shopper, v, checkout: res.json };
}

describe("item 1: the server picks the payment provider; nobody gets an order without paying", () => {
  it("item 1: with PAYMENT_PROVIDER=stripe in production, a payment naming the test provider is refused with 422; nothing is charged or ordered", async () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    const fetchSpy = stripe.install();
    const production = stripeEnv({ ENVIRONMENT: "production" });
    const { shopper, checkout } = await lockedCheckout(5, 1);
    const res = await callWith(production, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: { provider: "test", token: "tok_success" } });
    expect(res.status).toBe(422);
    expectErrorEnvelope(res, "VALIDATION_ERROR");
    expect(res.json.error.details.issues[0].path).toBe("provider");
    expect(await checkoutState(checkout.id)).toBe("LOCKED");
    expect(await one<{ n: number }>("SELECT COUNT(*) AS n FROM orders WHERE checkout_id = ?", checkout.id)).toEqual({ n: 0 });
    expect(await one<{ n: number }>("SELECT COUNT(*) AS n FROM email_outbox WHERE payload LIKE ?", `%${checkout.id.slice(4)}%`)).toEqual({ n: 0 });
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("item 1: a production config that enables the test provider fails every payment loudly (500, logged) and charges nothing", async () => {
    const errors = vi.spyOn(console, "error");
    const misconfigured = { ...env, ENVIRONMENT: "production", PAYMENT_PROVIDER: "test" } as Env;
    const { shopper, checkout } = await lockedCheckout(5, 1);
    const charges = testPaymentLedger.charges.length;
    const res = await callWith(misconfigured, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: { token: "tok_success" } });
    expect(res.status).toBe(500);
    expectErrorEnvelope(res, "INTERNAL");
    expect(res.text).not.toMatch(/test payment provider/);
    expect(errors.mock.calls.map((c) => String(c[0])).some((line) => line.includes("payment_provider_misconfigured"))).toBe(true);
    expect(testPaymentLedger.charges.length).toBe(charges);
    expect(await checkoutState(checkout.id)).toBe("LOCKED");
  });

  it("item 1: with a Stripe-compatible provider, payment answers PAYMENT_PENDING with the client secret and only the signed webhook completes the order", async () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    stripe.install();
    const shopEnv = stripeEnv();
    const { shopper, checkout } = await lockedCheckout(5, 2);
    const paid = await callWith(shopEnv, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: {} });
    expect(paid.status).toBe(200);
    expect(paid.json).toMatchObject({ state: "PAYMENT_PENDING", orderId: null, payment: { clientSecret: expect.stringMatching(/_secret_/) } });
    // Asking again answers the same intent, not a second one.
    const again = await callWith(shopEnv, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: {} });
    expect(again.json.payment.clientSecret).toBe(paid.json.payment.clientSecret);
    expect(stripe.intents.size).toBe(1);
    const [intent] = [...stripe.intents.values()];
    expect(intent!.amount).toBe(3000);

    const delivery = await stripe.signed(stripe.confirm(intent!.id));
    const hook = await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", delivery);
    expect(hook.json).toEqual({ received: true, handled: true });
    const after = await call("GET", `/api/v1/store/checkouts/${checkout.id}`, { token: shopper.token });
    expect(after.json).toMatchObject({ state: "COMPLETED", orderId: expect.stringMatching(/^ord_/) });
  });
});

describe("an unpaid attempt of a cart that has a newer checkout", () => {
  it("a declined attempt whose shopper opened another checkout of the cart meanwhile is superseded, not unlocked: one checkout open, its stock held once, only it pays", async () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    stripe.install();
    const shopEnv = stripeEnv();
    const { shopper, v, checkout } = await lockedCheckout(10, 2);
    const paying = await callWith(shopEnv, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: {} });
    expect(paying.json.state).toBe("PAYMENT_PENDING");
    const intentId = stripe.intentIdOf(checkout.id);
    // The shopper gives up on the card's confirmation and checks out the cart again.
    const again = await callWith(shopEnv, "POST", "/api/v1/store/checkouts", { token: shopper.token, headers: { "Idempotency-Key": "start-over" } });
    expect(again.json.state).toBe("LOCKED");
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ reserved: 4 });

    const hook = await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.decline(intentId)));
    expect(hook.json).toEqual({ received: true, handled: true });
    expect(await checkoutState(checkout.id)).toBe("EXPIRED");
    expect(await checkoutState(again.json.id)).toBe("LOCKED");
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 10, reserved: 2 });
    expect((await pay(shopper.token, checkout.id)).status).toBe(409);
    expect((await pay(shopper.token, again.json.id)).json.state).toBe("COMPLETED");
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 8, reserved: 0 });
  });

  it("a declined attempt with no other checkout of the cart goes back to LOCKED, its stock still held, and pays on the next try", async () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    stripe.install();
    const shopEnv = stripeEnv();
    const { shopper, v, checkout } = await lockedCheckout(10, 2);
    await callWith(shopEnv, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: {} });
    const intentId = stripe.intentIdOf(checkout.id);
    await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.decline(intentId)));
    expect(await checkoutState(checkout.id)).toBe("LOCKED");
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ reserved: 2 });
    expect((await pay(shopper.token, checkout.id)).json.state).toBe("COMPLETED");
  });
});

describe("a payment nothing can count any more is canceled at the provider", () => {
  /** Payments go through a Stripe-compatible provider (the fake behind `fetch`). */
  const stripeShop = () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    stripe.install();
    return { stripe, shopEnv: stripeEnv() };
  };
  /** The shopper's payment request: PAYMENT_PENDING with the intent's client secret. */
  const startPaying = (shopEnv: Env, token: string, checkoutId: string) => callWith(shopEnv, "POST", `/api/v1/store/checkouts/${checkoutId}/payment`, { token, body: {} });
  const paymentStatus = (ref: string) => one<{ status: string }>("SELECT status FROM payments WHERE provider_ref = ?", ref).then((r) => r.status);

  /** A Stripe payment left unconfirmed, then a new checkout of the same cart: the sweep's unlock supersedes the first. */
  async function supersededWithOpenIntent(stripe: FakeStripe, shopEnv: Env) {
    const { shopper, v, checkout } = await lockedCheckout(10, 2);
    expect((await startPaying(shopEnv, shopper.token, checkout.id)).json.state).toBe("PAYMENT_PENDING");
    const again = await callWith(shopEnv, "POST", "/api/v1/store/checkouts", { token: shopper.token, headers: { "Idempotency-Key": "start-over" } });
    expect(again.json.state).toBe("LOCKED");
    await resumePaidCheckouts(shopEnv, Date.now() + 6 * 60_000);
    expect(await one("SELECT state, failure_reason FROM checkouts WHERE id = ?", checkout.id)).toEqual({ state: "EXPIRED", failure_reason: "superseded" });
    return { shopper, v, checkout, next: again.json, intent: stripe.intents.get(stripe.intentIdOf(checkout.id))! };
  }

  it("a superseded checkout's unconfirmed intent is canceled, once, and the checkout that replaced it still pays", async () => {
    const { stripe, shopEnv } = stripeShop();
    const { shopper, next, intent } = await supersededWithOpenIntent(stripe, shopEnv);
    expect(intent.status).toBe("requires_payment_method");
    // The provider cannot answer at first: the intent stays as it was, and the next sweep cancels it.
    stripe.faults.intents.push("network_before");
    expect(await cancelEndedCheckoutPayments(shopEnv)).toMatchObject({ canceled: 0, unknown: 1 });
    expect(await paymentStatus(intent.id)).toBe("pending");
    expect(await cancelEndedCheckoutPayments(shopEnv)).toMatchObject({ canceled: 1, unknown: 0 });
    expect(intent.status).toBe("canceled");
    expect(() => stripe.confirm(intent.id)).toThrow(/canceled/);
    expect(await paymentStatus(intent.id)).toBe("canceled");
    expect(await cancelEndedCheckoutPayments(shopEnv)).toEqual({ canceled: 0, refunded: 0, unknown: 0 });
    // The checkout that replaced it pays as usual: the sweep leaves its intent alone while it waits for the customer.
    await startPaying(shopEnv, shopper.token, next.id);
    expect(await cancelEndedCheckoutPayments(shopEnv)).toEqual({ canceled: 0, refunded: 0, unknown: 0 });
    await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.confirm(stripe.intentIdOf(next.id))));
    expect(await checkoutState(next.id)).toBe("COMPLETED");
  });

  it("an intent declined once and taken again is waited on again, and canceled when its checkout is superseded", async () => {
    const { stripe, shopEnv } = stripeShop();
    const { shopper, checkout } = await lockedCheckout(10, 2);
    const payOnce = () => startPaying(shopEnv, shopper.token, checkout.id);
    const first = await payOnce();
    const intentId = stripe.intentIdOf(checkout.id);
    await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.decline(intentId)));
    expect(await paymentStatus(intentId)).toBe("failed");
    // The next attempt gets the same intent back: it is waited on again, and asking again answers its secret.
    const second = await payOnce();
    expect(second.json).toMatchObject({ state: "PAYMENT_PENDING", payment: { clientSecret: first.json.payment.clientSecret } });
    expect(await paymentStatus(intentId)).toBe("pending");
    expect((await payOnce()).json.payment.clientSecret).toBe(first.json.payment.clientSecret);
    // The shopper starts over; once the first checkout is superseded, its intent is canceled.
    await callWith(shopEnv, "POST", "/api/v1/store/checkouts", { token: shopper.token, headers: { "Idempotency-Key": "start-over" } });
    await resumePaidCheckouts(shopEnv, Date.now() + 6 * 60_000);
    expect(await checkoutState(checkout.id)).toBe("EXPIRED");
    expect(await cancelEndedCheckoutPayments(shopEnv)).toMatchObject({ canceled: 1 });
    expect(stripe.intents.get(intentId)!.status).toBe("canceled");
  });

  it("one the customer paid before the sweep (its webhook lost) is recorded and refunded, once, even when the webhook comes after", async () => {
    const { stripe, shopEnv } = stripeShop();
    const { checkout, intent } = await supersededWithOpenIntent(stripe, shopEnv);
    stripe.faults.intents.push("paid_first");
    expect(await cancelEndedCheckoutPayments(shopEnv)).toMatchObject({ canceled: 0, refunded: 1 });
    const late = stripe.confirm(intent.id);
    expect(stripe.refundedOf(intent.id)).toBe(3000);
    expect(stripe.capturedNet(intent.id)).toBe(0);
    expect(await paymentStatus(intent.id)).toBe("refunded");
    await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(late));
    expect(stripe.refundedOf(intent.id)).toBe(3000);
    expect(await checkoutState(checkout.id)).toBe("EXPIRED");
    expect(await one<{ n: number }>("SELECT COUNT(*) AS n FROM orders WHERE checkout_id = ?", checkout.id)).toEqual({ n: 0 });
  });

  it("a FAILED checkout keeps its intent (a retried lock may take its id again); one paid by another payment has its intent canceled", async () => {
    const { stripe, shopEnv } = stripeShop();
    const failed = await lockedCheckout(10, 1);
    await startPaying(shopEnv, failed.shopper.token, failed.checkout.id);
    await env.DB.prepare("UPDATE checkouts SET state = 'FAILED', failure_reason = 'discount_limit' WHERE id = ?").bind(failed.checkout.id).run();
    const paidOtherwise = await lockedCheckout(10, 1);
    await startPaying(shopEnv, paidOtherwise.shopper.token, paidOtherwise.checkout.id);
    // Another payment of the checkout was captured and made the order (an intent made after the first one's key expired, say).
    await env.DB.batch([
      env.DB.prepare("INSERT INTO payments (id, checkout_id, provider, provider_ref, amount, currency, status, created_at, updated_at) VALUES ('pay_other', ?, 'stripe', 'pi_other', 1500, 'USD', 'succeeded', 0, 0)").bind(paidOtherwise.checkout.id),
      env.DB.prepare("UPDATE checkouts SET state = 'COMPLETED', payment_id = 'pay_other' WHERE id = ?").bind(paidOtherwise.checkout.id),
    ]);
    expect(await cancelEndedCheckoutPayments(shopEnv)).toEqual({ canceled: 1, refunded: 0, unknown: 0 });
    expect(stripe.intents.get(stripe.intentIdOf(failed.checkout.id))!.status).toBe("requires_payment_method");
    expect(stripe.intents.get(stripe.intentIdOf(paidOtherwise.checkout.id))!.status).toBe("canceled");
  });

  it("a checkout expired by time keeps its intent: a late payment may still become the order", async () => {
    const { stripe, shopEnv } = stripeShop();
    const { shopper, checkout } = await lockedCheckout(10, 1);
    await startPaying(shopEnv, shopper.token, checkout.id);
    await resumePaidCheckouts(shopEnv, Date.now() + 6 * 60_000);
    await expireAbandonedCheckouts(shopEnv, Date.now() + HOUR);
    expect(await one("SELECT state, failure_reason FROM checkouts WHERE id = ?", checkout.id)).toEqual({ state: "EXPIRED", failure_reason: "expired" });
    expect(await cancelEndedCheckoutPayments(shopEnv)).toEqual({ canceled: 0, refunded: 0, unknown: 0 });
    const intentId = stripe.intentIdOf(checkout.id);
    await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.confirm(intentId)));
    expect(await checkoutState(checkout.id)).toBe("COMPLETED");
  });
});

describe("item 2: a paid checkout that lost its stock ends in a confirmed refund", () => {
  it("item 2: a late succeeded webhook for an expired checkout whose last unit was sold, while refunds fail, ends REFUNDED once the provider recovers", async () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    stripe.install();
    const shopEnv = stripeEnv();
    const a = await lockedCheckout(1, 1);
    const paying = await callWith(shopEnv, "POST", `/api/v1/store/checkouts/${a.checkout.id}/payment`, { token: a.shopper.token, body: {} });
    const intentId = stripe.intentIdOf(a.checkout.id);
    expect(paying.json.state).toBe("PAYMENT_PENDING");
    // A's hold lapses: the sweeps return it to LOCKED, expire it, and its object lets the unit go.
    await runCron(10 * 60_000);
    await runCron(HOUR);
    expect(await checkoutState(a.checkout.id)).toBe("EXPIRED");
    // B buys the last unit.
    const b = await registerCustomer();
    await addToCart(b.token, a.v.id, 1);
    const bCheckout = await startCheckout(b.token);
    const bPaid = await pay(b.token, bCheckout.json.id);
    expect(bPaid.json.state).toBe("COMPLETED");

    // A's late payment arrives while the provider's refunds fail (network, then 500).
    stripe.faults.refunds.push("network_before", "http_500");
    const hook = await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.confirm(intentId)));
    expect(hook.status).toBe(200);
    expect(await checkoutState(a.checkout.id)).toBe("REFUND_PENDING");
    const refund = await one<{ status: string; reason: string; attempts: number }>("SELECT status, reason, attempts FROM refunds WHERE checkout_id = ?", a.checkout.id);
    expect(refund).toMatchObject({ status: "pending", reason: "stock_lost_after_payment", attempts: 1 });
    expect(stripe.capturedNet(intentId)).toBe(1500);

    // Every cron task, later and later: the second attempt meets the 500, the third succeeds.
    for (const ahead of [2 * HOUR, 4 * HOUR, 8 * HOUR]) await runCron(ahead);
    expect(stripe.capturedNet(intentId)).toBe(0);
    expect(stripe.refundedOf(intentId)).toBe(1500);
    expect(await checkoutState(a.checkout.id)).toBe("REFUNDED");
    expect(await one("SELECT status FROM payments WHERE provider_ref = ?", intentId)).toEqual({ status: "refunded" });
    expect(await one<{ n: number }>("SELECT COUNT(*) AS n FROM orders WHERE checkout_id = ?", a.checkout.id)).toEqual({ n: 0 });
    expect(await inventoryStub(a.v.id).snapshot(a.v.id)).toMatchObject({ onHand: 0, reserved: 0 });
  });

  it("item 2: a refund the provider refuses outright is handed to admins: listed, logged, never marked refunded", async () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    stripe.install();
    const shopEnv = stripeEnv();
    const a = await lockedCheckout(1, 1);
    await callWith(shopEnv, "POST", `/api/v1/store/checkouts/${a.checkout.id}/payment`, { token: a.shopper.token, body: {} });
    const intentId = stripe.intentIdOf(a.checkout.id);
    // The stock is gone before the payment lands (an admin sold it elsewhere).
    await env.DB.prepare("UPDATE checkouts SET state = 'EXPIRED', failure_reason = 'expired' WHERE id = ?").bind(a.checkout.id).run();
    await inventoryStub(a.v.id).release(a.v.id, a.checkout.id);
    const admin = await createAdmin();
    await call("PUT", `/api/v1/admin/inventory/${a.v.id}`, { token: admin.token, body: { onHand: 0 } });

    const errors = vi.spyOn(console, "error");
    stripe.faults.refunds.push("http_400");
    await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.confirm(intentId)));
    expect(await checkoutState(a.checkout.id)).toBe("REFUND_PENDING");
    const listed = await call("GET", "/api/v1/admin/refunds?status=needs_attention", { token: admin.token });
    const mine = listed.json.data.find((r: { checkoutId: string }) => r.checkoutId === a.checkout.id);
    expect(mine).toMatchObject({ status: "needs_attention", amount: { amount: 1500, currency: "USD" }, lastError: "charge_disputed" });
    expect(errors.mock.calls.some((c) => String(c[0]).includes("refund_needs_attention"))).toBe(true);
    await runCron(HOUR);
    expect(stripe.capturedNet(intentId)).toBe(1500);
    expect(await one("SELECT status FROM payments WHERE provider_ref = ?", intentId)).toEqual({ status: "succeeded" });

    // The admin sorts it out with the provider and retries: confirmed, the checkout closes.
    const retried = await call("POST", `/api/v1/admin/refunds/${mine.id}/retry`, { token: admin.token });
    expect(retried.json.status).toBe("succeeded");
    expect(stripe.capturedNet(intentId)).toBe(0);
    expect(await checkoutState(a.checkout.id)).toBe("REFUNDED");
  });
});

describe("item 3: a cancel or refund is settled only once the provider confirmed the refund", () => {
  it("item 3: a cancel whose provider refund fails is not settled; the sweep retries it and settles once the provider answers", async () => {
    const v = await createVariant(5, 1200);
    const { customer, orderId } = await placeOrder(v.id, 2);
    testPaymentFaults.refund.push("provider_error");
    const cancelled = await call("POST", `/api/v1/store/orders/${orderId}/cancel`, { token: customer.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.status).toBe("cancelled");
    expect(cancelled.json.refunds).toEqual([expect.objectContaining({ status: "pending", amount: { amount: 2400, currency: "USD" } })]);
    const order = () => one<{ settled_at: number | null }>("SELECT settled_at FROM orders WHERE id = ?", orderId);
    expect((await order()).settled_at).toBeNull();
    expect(await one("SELECT status FROM payments WHERE order_id = ?", orderId)).toEqual({ status: "succeeded" });
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(5);

    await runCron(HOUR);
    expect((await order()).settled_at).not.toBeNull();
    expect(await one("SELECT status FROM payments WHERE order_id = ?", orderId)).toEqual({ status: "refunded" });
    const seen = await call("GET", `/api/v1/store/orders/${orderId}`, { token: customer.token });
    expect(seen.json.refunds).toEqual([expect.objectContaining({ status: "succeeded", succeededAt: expect.any(String) })]);
    // The provider applied it once, whatever the retries.
    const ref = (await one<{ provider_ref: string }>("SELECT provider_ref FROM payments WHERE order_id = ?", orderId)).provider_ref;
    expect(testPaymentLedger.refunds.filter((r) => r.paymentRef === ref)).toHaveLength(1);
  });

  it("item 3: a refund whose answer was lost (the provider did it) is not done twice on retry", async () => {
    const v = await createVariant(5, 800);
    const { orderId } = await placeOrder(v.id, 1);
    const admin = await createAdmin();
    testPaymentFaults.refund.push("network_after");
    const refunded = await call("POST", `/api/v1/admin/orders/${orderId}/refund`, { token: admin.token, body: {} });
    expect(refunded.json.refunds[0].status).toBe("pending");
    await runCron(HOUR);
    const ref = (await one<{ provider_ref: string }>("SELECT provider_ref FROM payments WHERE order_id = ?", orderId)).provider_ref;
    expect(testPaymentLedger.refunds.filter((r) => r.paymentRef === ref)).toHaveLength(1);
    expect(await one("SELECT status FROM refunds WHERE order_id = ?", orderId)).toEqual({ status: "succeeded" });
  });
});

/** The batch that writes a checkout LOCKED (CREATED → LOCKED, or the direct lock's insert) and stores the key's answer. */
const isLockWrite = (sql: string[]) =>
  (sql[0]!.startsWith("UPDATE checkouts SET state = ?") || sql[0]!.startsWith("INSERT INTO checkouts")) && sql.some((s) => s.startsWith("UPDATE idempotency_keys"));

/** Every D1, stock and queue call of `dying` from now on fails, as if the Worker stopped here. */
const dieHere = (dying: ReturnType<typeof faultyEnv>) => {
  dying.faults.dieAfter = dying.calls;
  throw new RequestDiedHere();
};

/** The hold rows of one variant's object. */
const holdsOf = (variantId: string) =>
  runInDurableObject(inventoryStub(variantId), (_o, state) => state.storage.sql.exec<{ checkout_id: string; qty: number; status: string; expires_at: number }>("SELECT checkout_id, qty, status, expires_at FROM holds").toArray());

/** The shopper raises the cart's one line to 5 and checks out again under `key`: 5 held (of 10), then 5 sold. */
async function retryAtFiveSellsFive(token: string, variantId: string, key: string) {
  const cart = await call("GET", "/api/v1/store/cart", { token });
  await call("PATCH", `/api/v1/store/cart/items/${cart.json.items[0].id}`, { token, body: { quantity: 5 } });
  const retry = await startCheckout(token, key);
  expect(retry.status).toBe(201);
  expect(retry.json.lines[0].quantity).toBe(5);
  expect(await inventoryStub(variantId).snapshot(variantId)).toMatchObject({ onHand: 10, reserved: 5, available: 5 });
  expect((await pay(token, retry.json.id)).json.state).toBe("COMPLETED");
  expect(await inventoryStub(variantId).snapshot(variantId)).toMatchObject({ onHand: 5, reserved: 0 });
  return retry.json;
}

describe("item 4: a checkout retried after a failed lock reserves and sells what it orders", () => {
  it("item 4: a first lock (direct) whose write fails gives its holds back; the retry at 5 units sells 5", async () => {
    const shopper = await registerCustomer();
    const v = await createVariant(10, 1000);
    await addToCart(shopper.token, v.id, 2);
    // The lock reserves, then its one write (the LOCKED row with the stored answer) fails.
    const failing = faultyEnv(env, { d1: ({ sql }) => { if (isLockWrite(sql)) throw new InjectedFault("D1 unavailable"); } });
    await expect(createCheckout(failing, shopper.userId, "retry-key", {})).rejects.toThrow();
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ reserved: 0, available: 10 });

    await retryAtFiveSellsFive(shopper.token, v.id, "retry-key");
  });

  it("item 4: a direct lock that dies holding 2 leaves holds the retry takes over under the same id: 5 held, not 7", async () => {
    const shopper = await registerCustomer();
    const v = await createVariant(10, 1000);
    await addToCart(shopper.token, v.id, 2);
    const dying = faultyEnv(env, { d1: ({ sql }) => { if (isLockWrite(sql)) dieHere(dying); } });
    await expect(createCheckout(dying, shopper.userId, "died-key", {}, Date.now() - 5 * 60_000)).rejects.toThrow(RequestDiedHere);
    const [orphan] = await holdsOf(v.id);
    expect(orphan).toMatchObject({ qty: 2, status: "held" });

    // The claim is minutes old without an answer: the retry takes it over and makes the checkout the
    // claim named, whose one hold moves from 2 to 5 (a second hold would make 7).
    const retry = await retryAtFiveSellsFive(shopper.token, v.id, "died-key");
    expect(retry.id).toBe(orphan!.checkout_id);
    expect(await holdsOf(v.id)).toEqual([expect.objectContaining({ checkout_id: orphan!.checkout_id, qty: 5, status: "committed" })]);
  });

  it("item 4: with an older checkout of the cart open, a lock whose LOCKED write fails keeps its CREATED row's hold; the retry at 5 sells 5", async () => {
    const shopper = await registerCustomer();
    const v = await createVariant(10, 1000);
    await addToCart(shopper.token, v.id, 2);
    expect((await startCheckout(shopper.token, "first")).status).toBe(201);
    // The second lock supersedes the first (its 2 go back), reserves 2, then its CREATED → LOCKED write fails.
    const failing = faultyEnv(env, { d1: ({ sql }) => { if (isLockWrite(sql)) throw new InjectedFault("D1 unavailable"); } });
    await expect(createCheckout(failing, shopper.userId, "retry-key", {})).rejects.toThrow();
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ reserved: 2 });

    await retryAtFiveSellsFive(shopper.token, v.id, "retry-key");
  });

  it("item 4: the retry extends the hold to the new checkout's expiry, and lets go of variants no longer in the cart", async () => {
    const shopper = await registerCustomer();
    const kept = await createVariant(10);
    const dropped = await createVariant(10);
    await addToCart(shopper.token, kept.id, 1);
    await addToCart(shopper.token, dropped.id, 1);
    // An open checkout of the cart (older than the next: ids sort by time) sends the next lock through the CREATED row (the upsert lock).
    const first = { json: await createCheckout(env, shopper.userId, "k1", {}, Date.now() - 10 * 60_000) };
    const dying = faultyEnv(env, { d1: ({ sql }) => { if (isLockWrite(sql)) throw new InjectedFault(); } });
    await expect(createCheckout(dying, shopper.userId, "k2", {}, Date.now() - 5 * 60_000)).rejects.toThrow();
    const holdOf = async (variantId: string) => (await holdsOf(variantId)).find((h) => h.checkout_id !== first.json.id);
    const before = (await holdOf(kept.id))!.expires_at;

    const cart = await call("GET", "/api/v1/store/cart", { token: shopper.token });
    const item = cart.json.items.find((i: { variantId: string }) => i.variantId === dropped.id);
    await call("DELETE", `/api/v1/store/cart/items/${item.id}`, { token: shopper.token });
    expect((await startCheckout(shopper.token, "k2")).status).toBe(201);
    expect((await holdOf(kept.id))!.expires_at).toBeGreaterThan(before);
    expect((await holdOf(dropped.id))!.status).toBe("released");
    expect(await inventoryStub(dropped.id).snapshot(dropped.id)).toMatchObject({ reserved: 0 });
  });
});

/** A shopper whose checkout of one unit (at 2000) holds the one use of a new single-use code. */
async function checkoutWithSingleUseCode(stock: number) {
  const v = await createVariant(stock, 2000);
  const code = await createDiscount({ kind: "cart_fixed", value: 500, usageLimit: 1 });
  const shopper = await registerCustomer();
  await addToCart(shopper.token, v.id, 1);
  await enterCode(shopper.token, code.code!);
  const checkout = (await startCheckout(shopper.token)).json;
  return { v, code, shopper, checkout };
}

describe("item 5: a sweep racing a payment never gives back a use an order holds", () => {
  it("item 5: expiry sweep and a late payment of a single-use code: one redemption, and the next shopper is refused", async () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    stripe.install();
    const shopEnv = stripeEnv();
    const { v, code, shopper: a, checkout } = await checkoutWithSingleUseCode(10);
    await callWith(shopEnv, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: a.token, body: {} });
    const intentId = stripe.intentIdOf(checkout.id);
    // Unstuck (uses back) then due to expire.
    await runCron(10 * 60_000);
    expect(await checkoutState(checkout.id)).toBe("LOCKED");

    // The expiry sweep is held right after its first write, while the late payment lands and
    // finalizes (claiming the use afresh); then the sweep goes on.
    const held = latch();
    const paused = latch();
    let sweepCalls = 0;
    const pauseAtSecondCall = async () => {
      sweepCalls += 1;
      if (sweepCalls !== 2) return;
      paused.open();
      await held.opened;
    };
    const sweepEnv = faultyEnv(env, { d1: pauseAtSecondCall, stock: pauseAtSecondCall });
    const row = (await checkoutRepo.findCheckout(env.DB, checkout.id))!;
    const sweeping = expireCheckout(sweepEnv, row, Date.now() + HOUR);
    await paused.opened;
    expect(await checkoutState(checkout.id)).toBe("EXPIRED");
    const hook = await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.confirm(intentId)));
    expect(hook.status).toBe(200);
    expect(await checkoutState(checkout.id)).toBe("COMPLETED");
    held.open();
    expect(await sweeping).toBe(true);
    expect(await one("SELECT usage_count FROM discounts WHERE id = ?", code.id)).toEqual({ usage_count: 1 });
    expect((await inventoryStub(v.id).snapshot(v.id))).toMatchObject({ onHand: 9, reserved: 0 });

    // The order keeps the single use: the next shopper is refused.
    const b = await registerCustomer();
    await addToCart(b.token, v.id, 1);
    const entered = await enterCode(b.token, code.code!);
    expect(entered.status).toBe(422);
    expect(await one<{ n: number }>("SELECT COUNT(*) AS n FROM discount_redemptions WHERE discount_id = ? AND reversed_at IS NULL", code.id)).toEqual({ n: 1 });
  });

  it("item 5: the expiry wins the race: the late payment claims the use again, or is refunded when someone else took it", async () => {
    const stripe = new FakeStripe(env.PAYMENT_WEBHOOK_SECRET);
    stripe.install();
    const shopEnv = stripeEnv();
    const { v, code, shopper: a, checkout } = await checkoutWithSingleUseCode(10);
    await callWith(shopEnv, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: a.token, body: {} });
    const intentId = stripe.intentIdOf(checkout.id);
    await runCron(10 * 60_000);
    await expireAbandonedCheckouts(env, Date.now() + HOUR);
    expect(await checkoutState(checkout.id)).toBe("EXPIRED");
    expect(await one("SELECT usage_count FROM discounts WHERE id = ?", code.id)).toEqual({ usage_count: 0 });
    // B takes the single use and pays (test provider, synchronous).
    const b = await registerCustomer();
    await addToCart(b.token, v.id, 1);
    expect((await enterCode(b.token, code.code!)).status).toBe(200);
    expect((await pay(b.token, (await startCheckout(b.token)).json.id)).json.state).toBe("COMPLETED");
    // A's late payment: the use is gone, so A is refunded rather than given a second redemption.
    await callWith(shopEnv, "POST", "/api/v1/webhooks/payments", await stripe.signed(stripe.confirm(intentId)));
    expect(await checkoutState(checkout.id)).toBe("REFUNDED");
    expect(stripe.capturedNet(intentId)).toBe(0);
    expect(await one("SELECT usage_count FROM discounts WHERE id = ?", code.id)).toEqual({ usage_count: 1 });
    expect(await one<{ n: number }>("SELECT COUNT(*) AS n FROM discount_redemptions WHERE discount_id = ?", code.id)).toEqual({ n: 1 });
  });
});

describe("found by the money model: a charge whose answer was lost", () => {
  it("model finding: the request dies right after the provider charged; the sweep asks the provider and makes the order (no lost money)", async () => {
    const { shopper, v, checkout } = await lockedCheckout(3, 1, 900);
    // Dies at the first write after the charge: the provider has the money, the shop has no record.
    let charged = false;
    const dying = faultyEnv(env, {
      d1: ({ kind }) => {
        if (charged && kind === "batch") throw new RequestDiedHere();
      },
    });
    const spy = vi.spyOn(testProviderModule.testProvider, "start");
    spy.mockImplementation(async (input) => {
      spy.mockRestore();
      const result = await testProviderModule.testProvider.start(input);
      charged = true;
      return result;
    });
    const res = await callWith(dying, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: { token: "tok_success" } });
    expect(res.status).toBe(500);
    expect(await checkoutState(checkout.id)).toBe("PAYMENT_PENDING");
    const charge = testPaymentLedger.charges.find((c) => c.checkoutId === checkout.id);
    expect(charge).toBeDefined();
    // The shopper retrying at once is told the payment is in progress; the sweep resolves it.
    expect((await pay(shopper.token, checkout.id)).status).toBe(409);
    await runCron(10 * 60_000);
    const after = await call("GET", `/api/v1/store/checkouts/${checkout.id}`, { token: shopper.token });
    expect(after.json).toMatchObject({ state: "COMPLETED", orderId: expect.stringMatching(/^ord_/) });
    expect(await one("SELECT provider_ref, status FROM payments WHERE checkout_id = ?", checkout.id)).toEqual({ provider_ref: charge!.ref, status: "succeeded" });
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 2, reserved: 0 });
  });

  it("model finding: an attempt the provider never saw is unlocked by the sweep, and the shopper pays again", async () => {
    const { shopper, checkout } = await lockedCheckout(3, 1);
    // The request dies on its way to the provider: nothing charged, nothing recorded, and it never unlocked.
    const dying = faultyEnv(env);
    vi.spyOn(testProviderModule.testProvider, "start").mockImplementationOnce(async () => {
      dying.faults.dieAfter = dying.calls;
      throw new RequestDiedHere();
    });
    expect((await callWith(dying, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: { token: "tok_success" } })).status).toBe(500);
    expect(await checkoutState(checkout.id)).toBe("PAYMENT_PENDING");
    await runCron(10 * 60_000);
    expect(await checkoutState(checkout.id)).toBe("LOCKED");
    expect((await pay(shopper.token, checkout.id)).json.state).toBe("COMPLETED");
  });
});

describe("payment in one batch: the stock is committed, then one batch records the payment, confirms and places the order", () => {
  /** The batch that records the capture and places the order (it carries the guard). */
  const isPayAndPlace = (sql: string[]) => sql.some((s) => s.startsWith("SELECT json(CASE WHEN"));
  const countOf = (sql: string, ...args: unknown[]) => one<{ n: number }>(sql, ...args).then((r) => r.n);

  /** A shopper whose checkout of `quantity` units (at 1000; 2 by default) holds a gift card of `cardAmount` (500 by default). */
  async function checkoutWithGiftCard(stock: number, { quantity = 2, cardAmount = 500 } = {}) {
    const shopper = await registerCustomer();
    const v = await createVariant(stock, 1000);
    await addToCart(shopper.token, v.id, quantity);
    const card = await issueGiftCard((await createAdmin()).token, cardAmount);
    expect((await applyCard(shopper.token, card.code)).status).toBe(200);
    const checkout = (await startCheckout(shopper.token)).json;
    return { shopper, v, card, checkout };
  }

  /** What an unlock does (a sweep that found the attempt quiet, a payment_failed webhook): back to LOCKED, its discount uses given back. */
  async function unlockAttempt(checkoutId: string) {
    const row = (await checkoutRepo.findCheckout(env.DB, checkoutId))!;
    await env.DB.batch([checkoutRepo.unlockAttemptStatement(env.DB, checkoutId, row.version, Date.now()), ...releaseClaimStatements(env.DB, checkoutId, Date.now(), checkoutIn(checkoutId, ["LOCKED"]))]);
  }

  /** While the provider charges this request's attempt, `meanwhile` runs, as another actor would. */
  function whileCharging(meanwhile: (checkoutId: string) => Promise<void>) {
    const spy = vi.spyOn(testProviderModule.testProvider, "start");
    spy.mockImplementation(async (input) => {
      spy.mockRestore();
      const result = await testProviderModule.testProvider.start(input);
      await meanwhile(input.checkoutId);
      return result;
    });
  }

  it("the guard makes the batch all or nothing: a payment row written before it is rolled back when the checkout is not confirmed by that payment", async () => {
    const { checkout } = await lockedCheckout(3, 1);
    const now = Date.now();
    const paymentId = `pay_guard_${now}`;
    await expect(
      env.DB.batch([
        paymentsRepo.capturedPaymentStatement(env.DB, { id: paymentId, checkoutId: checkout.id, provider: "test", ref: `ref_guard_${now}`, amount: 1, currency: "USD", now }),
        checkoutRepo.abortUnlessConfirmedByStatement(env.DB, checkout.id, paymentId),
      ]),
    ).rejects.toThrow(/JSON/i);
    expect(await countOf("SELECT COUNT(*) AS n FROM payments WHERE id = ?", paymentId)).toBe(0);
    expect(await checkoutState(checkout.id)).toBe("LOCKED");
  });

  it("a pay-and-place batch that fails after the commits: the two-batch way makes exactly one order and sells the units once", async () => {
    const { shopper, v, checkout } = await lockedCheckout(3, 2, 700);
    let failures = 0;
    const flaky = faultyEnv(env, {
      d1: ({ kind, sql }) => {
        if (kind === "batch" && isPayAndPlace(sql) && failures++ === 0) throw new InjectedFault();
      },
    });
    const res = await callWith(flaky, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: { token: "tok_success" } });
    expect(failures).toBe(1);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ state: "COMPLETED", orderId: expect.stringMatching(/^ord_/) });
    expect(await countOf("SELECT COUNT(*) AS n FROM orders WHERE checkout_id = ?", checkout.id)).toBe(1);
    expect(await countOf("SELECT COUNT(*) AS n FROM payments WHERE checkout_id = ? AND status = 'succeeded'", checkout.id)).toBe(1);
    expect(await countOf("SELECT COUNT(*) AS n FROM refunds WHERE checkout_id = ?", checkout.id)).toBe(0);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 1, reserved: 0 });
  });

  it("another payment confirmed the checkout while this one was charged: nothing of this batch stays, this payment is refunded, and the one order sells the units once", async () => {
    const { shopper, v, checkout } = await lockedCheckout(3, 1, 800);
    const otherRef = `test_other_${Date.now()}`;
    whileCharging(async (checkoutId) => {
      const recorded = await recordCapturedPayment(env, checkoutId, { provider: "test", ref: otherRef, amount: 800, currency: "USD" });
      expect(recorded.confirmed).toBe(true);
    });
    const res = await pay(shopper.token, checkout.id);
    expect(res.json).toMatchObject({ state: "COMPLETED", orderId: expect.stringMatching(/^ord_/) });
    const order = await one<{ id: string }>("SELECT id FROM orders WHERE checkout_id = ?", checkout.id);
    // The order keeps the payment that confirmed the checkout; the request's own capture is refunded.
    expect(await one("SELECT provider_ref FROM payments WHERE order_id = ?", order.id)).toEqual({ provider_ref: otherRef });
    const refunded = await one<{ reason: string; amount: number }>("SELECT r.reason, r.amount FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.checkout_id = ? AND p.provider_ref <> ?", checkout.id, otherRef);
    expect(refunded).toMatchObject({ reason: "unowned_payment", amount: 800 });
    expect(await countOf("SELECT COUNT(*) AS n FROM orders WHERE checkout_id = ?", checkout.id)).toBe(1);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 2, reserved: 0 });
  });

  it("a gift card whose capture fails after the stock was committed: no order, the stock and the card's amount go back, and the charge is refunded", async () => {
    const { shopper, v, card, checkout } = await checkoutWithGiftCard(4);
    // Every capture of a balance fails, as when the card's hold lapsed and its balance was spent elsewhere.
    const cards = env.GIFT_CARDS;
    const refusing = {
      ...env,
      GIFT_CARDS: {
        idFromName: (name: string) => cards.idFromName(name),
        get: (id: DurableObjectId) => {
          const stub = cards.get(id) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
          return new Proxy({}, { get: (_t, method: string) => (method === "then" ? undefined : method === "capture" ? async () => ({ ok: false }) : (...args: unknown[]) => stub[method]!(...args)) });
        },
      },
    } as unknown as Env;
    const res = await callWith(refusing, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: { token: "tok_success" } });
    expect(["REFUND_PENDING", "REFUNDED"]).toContain(res.json.state);
    expect(await countOf("SELECT COUNT(*) AS n FROM orders WHERE checkout_id = ?", checkout.id)).toBe(0);
    expect(await one("SELECT r.reason, r.amount FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.checkout_id = ?", checkout.id)).toEqual({ reason: "balance_lost_after_payment", amount: checkout.totals.amountDue.amount });
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 4, reserved: 0 });
    expect((await balanceLedger(card.id)).account).toMatchObject({ balance: 500, held: 0 });
  });

  it("an attempt unlocked while it was charged (its discount use given back): the batch does not apply; the order claims the use again, so the code's count holds", async () => {
    const { v, code, shopper, checkout } = await checkoutWithSingleUseCode(5);
    whileCharging(async (checkoutId) => {
      await unlockAttempt(checkoutId);
      expect(await countOf("SELECT COUNT(*) AS n FROM discount_claims WHERE checkout_id = ?", checkoutId)).toBe(0);
    });
    const res = await pay(shopper.token, checkout.id);
    expect(res.json).toMatchObject({ state: "COMPLETED", orderId: expect.stringMatching(/^ord_/) });
    // The redemption on the order is backed by a claim again, and the code counts its one use.
    expect(await countOf("SELECT COUNT(*) AS n FROM discount_claims WHERE checkout_id = ?", checkout.id)).toBe(1);
    expect(await one("SELECT usage_count FROM discounts WHERE id = ?", code.id)).toEqual({ usage_count: 1 });
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 4, reserved: 0 });
  });

  it("a stock object that fails after the charge: the payment is recorded first, the answer is not an error, and the sweep finishes the order", async () => {
    const { shopper, v, checkout } = await lockedCheckout(3, 1, 900);
    let charged = false;
    const failing = faultyEnv(env, {
      stock: ({ method }) => {
        if (charged && method === "commit") throw new InjectedFault("inventory object unavailable");
      },
    });
    whileCharging(async () => {
      charged = true;
    });
    const res = await callWith(failing, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: { token: "tok_success" } });
    expect(res.status).toBe(200);
    expect(res.json.state).toBe("PAYMENT_CONFIRMED");
    expect(await one("SELECT status FROM payments WHERE checkout_id = ?", checkout.id)).toEqual({ status: "succeeded" });
    await runCron(10 * 60_000);
    expect(await checkoutState(checkout.id)).toBe("COMPLETED");
    expect(await countOf("SELECT COUNT(*) AS n FROM orders WHERE checkout_id = ?", checkout.id)).toBe(1);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 2, reserved: 0 });
  });

  it("an attempt unlocked and superseded by a new checkout of the cart after its commits: what it sold and captured goes back, its payment is refunded, and the new checkout holds the stock", async () => {
    const { shopper, v, card, checkout } = await checkoutWithGiftCard(3);
    let next: { id: string } | null = null;
    // Right before the pay-and-place batch (the stock already committed, the card captured), the
    // attempt is unlocked and the shopper starts a new checkout of the cart, which supersedes it.
    const racing = faultyEnv(env, {
      d1: async ({ kind, sql }) => {
        if (next || kind !== "batch" || !isPayAndPlace(sql)) return;
        await unlockAttempt(checkout.id);
        const started = await startCheckout(shopper.token, `again-${Date.now()}`);
        expect(started.status).toBe(201);
        next = started.json;
      },
    });
    const res = await callWith(racing, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: { token: "tok_success" } });
    expect(next).not.toBeNull();
    expect(res.json.state).toBe("EXPIRED");
    expect(await countOf("SELECT COUNT(*) AS n FROM orders WHERE checkout_id = ?", checkout.id)).toBe(0);
    expect(await one("SELECT r.reason, r.amount FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.checkout_id = ?", checkout.id)).toEqual({ reason: "unowned_payment", amount: checkout.totals.amountDue.amount });
    // Nothing stays sold or spent for the superseded checkout: the new one holds 2 units and the card's 500.
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 3, reserved: 2 });
    expect((await balanceLedger(card.id)).account).toMatchObject({ balance: 500, held: 500 });
    expect((await pay(shopper.token, next!.id)).json.state).toBe("COMPLETED");
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 1, reserved: 0 });
    expect((await balanceLedger(card.id)).account).toMatchObject({ balance: 0, held: 0 });
  });

  it("model finding: a gift card pays everything and the request dies right after selling the stock: the payment was recorded first, so the sweep makes the order (no unit sold without one)", async () => {
    const { shopper, v, card, checkout } = await checkoutWithGiftCard(2, { quantity: 1, cardAmount: 50_000 });
    expect(checkout.totals.amountDue.amount).toBe(0);
    // No provider is called for a zero payment, so no provider could later tell a lookup it was paid.
    const dying = faultyEnv(env, {
      stock: ({ method }) => {
        if (method === "commit") dying.faults.dieAfter = dying.calls;
      },
    });
    const res = await callWith(dying, "POST", `/api/v1/store/checkouts/${checkout.id}/payment`, { token: shopper.token, body: {} });
    expect(res.status).toBe(500);
    expect(await checkoutState(checkout.id)).toBe("PAYMENT_CONFIRMED");
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 1, reserved: 0 });
    await runCron(10 * 60_000);
    expect(await checkoutState(checkout.id)).toBe("COMPLETED");
    expect(await countOf("SELECT COUNT(*) AS n FROM orders WHERE checkout_id = ?", checkout.id)).toBe(1);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 1, reserved: 0 });
    expect((await balanceLedger(card.id)).account).toMatchObject({ held: 0 });
  });
});

describe("item 9h: a cancel gives back the discount use its order held", () => {
  it("item 9h: a single-use code is refused while an order holds it, and usable by the next shopper once that order is cancelled", async () => {
    const v = await createVariant(10, 2000);
    const code = await createDiscount({ kind: "cart_fixed", value: 500, usageLimit: 1 });
    const a = await registerCustomer();
    await addToCart(a.token, v.id, 1);
    expect((await enterCode(a.token, code.code!)).status).toBe(200);
    const paid = await pay(a.token, (await startCheckout(a.token)).json.id);
    expect(paid.json.state).toBe("COMPLETED");

    const b = await registerCustomer();
    await addToCart(b.token, v.id, 1);
    const refused = await enterCode(b.token, code.code!);
    expect(refused.status).toBe(422);
    expect(refused.json.error.details.reason).toBe("usage_limit_reached");

    const cancelled = await call("POST", `/api/v1/store/orders/${paid.json.orderId}/cancel`, { token: a.token });
    expect(cancelled.json.status).toBe("cancelled");
    const entered = await enterCode(b.token, code.code!);
    expect(entered.status).toBe(200);
    expect(entered.json.discounts).toEqual([{ code: code.code, amount: { amount: 500, currency: "USD" } }]);
    const order = await pay(b.token, (await startCheckout(b.token)).json.id);
    expect(order.json.state).toBe("COMPLETED");
    expect(await one<{ n: number }>("SELECT COUNT(*) AS n FROM discount_redemptions WHERE discount_id = ? AND reversed_at IS NULL", code.id)).toEqual({ n: 1 });
  });
});

describe("item 7: admin stock writes take Idempotency-Key", () => {
  it("item 7: retrying an adjustment with the same key applies it once and records it once; another body with the key is 422", async () => {
    const v = await createVariant(10);
    const admin = await createAdmin();
    const adjust = (delta: number) =>
      call("POST", `/api/v1/admin/inventory/${v.id}/adjust`, { token: admin.token, headers: { "Idempotency-Key": "adj-1" }, body: { delta, reason: "recount" } });
    expect((await adjust(5)).json.onHand).toBe(15);
    expect((await adjust(5)).json.onHand).toBe(15);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 15 });
    expect(await one<{ n: number }>("SELECT COUNT(*) AS n FROM inventory_adjustments WHERE variant_id = ?", v.id)).toEqual({ n: 1 });
    const other = await adjust(7);
    expect(other.status).toBe(422);
    expectErrorEnvelope(other, "IDEMPOTENCY_CONFLICT");
  });

  it("item 7: the object applied the change but D1 failed to record it; the retry records it once and does not apply it again", async () => {
    const v = await createVariant(10);
    const admin = await createAdmin();
    const broken = faultyEnv(env, { d1: ({ sql }) => { if (sql[0]?.startsWith("INSERT INTO inventory_adjustments")) throw new InjectedFault(); } });
    const first = await callWith(broken, "POST", `/api/v1/admin/inventory/${v.id}/adjust`, { token: admin.token, headers: { "Idempotency-Key": "adj-2" }, body: { delta: -3, reason: "damaged" } });
    expect(first.status).toBe(500);
    const retry = await call("POST", `/api/v1/admin/inventory/${v.id}/adjust`, { token: admin.token, headers: { "Idempotency-Key": "adj-2" }, body: { delta: -3, reason: "damaged" } });
    expect(retry.json.onHand).toBe(7);
    expect(await one("SELECT delta, on_hand_after FROM inventory_adjustments WHERE variant_id = ?", v.id)).toEqual({ delta: -3, on_hand_after: 7 });
  });

  it("item 7: a retried set with the same key records the change it made, not a zero", async () => {
    const v = await createVariant(10);
    const admin = await createAdmin();
    const set = () => call("PUT", `/api/v1/admin/inventory/${v.id}`, { token: admin.token, headers: { "Idempotency-Key": "set-1" }, body: { onHand: 4 } });
    expect((await set()).json.onHand).toBe(4);
    expect((await set()).json.onHand).toBe(4);
    expect(await one("SELECT delta, on_hand_after FROM inventory_adjustments WHERE variant_id = ?", v.id)).toEqual({ delta: -6, on_hand_after: 4 });
  });
});
