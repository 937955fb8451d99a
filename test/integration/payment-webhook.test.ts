import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signPayload } from "../../src/modules/payments/signature";
import { addToCart, clearInventoryAlarms, createVariant, inventoryStub, startCheckout } from "../factories/commerce";
import failed from "../fixtures/stripe/payment_intent.payment_failed.json";
import succeeded from "../fixtures/stripe/payment_intent.succeeded.json";
import { call, expectErrorEnvelope, registerCustomer } from "../helpers";

afterEach(async () => {
  vi.restoreAllMocks();
  await clearInventoryAlarms();
});

/** The recorded event with this checkout's id and amount filled in. */
function recorded(fixture: object, checkoutId: string, amount: number): string {
  const event = JSON.parse(JSON.stringify(fixture).replaceAll("__CHECKOUT_ID__", checkoutId));
  event.data.object.amount = amount;
  // PaymentIntent ids are unique per payment; the recorded one is reused per checkout here.
  event.data.object.id = `pi_${checkoutId.slice(4)}`;
  return JSON.stringify(event);
}

async function deliver(body: string, options: { secret?: string; ageSeconds?: number } = {}) {
  const t = Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0);
  const v1 = await signPayload(options.secret ?? env.PAYMENT_WEBHOOK_SECRET, t, body);
  return call("POST", "/api/v1/webhooks/payments", { body, headers: { "Stripe-Signature": `t=${t},v1=${v1}` } });
}

async function lockedCheckout() {
  const { token } = await registerCustomer();
  const v = await createVariant(3, 1500);
  await addToCart(token, v.id, 2);
  const res = await startCheckout(token);
  return { token, v, checkout: res.json };
}

describe("POST /api/v1/webhooks/payments", () => {
  it("a signed payment_intent.succeeded completes the checkout with one order, even when delivered twice", async () => {
    const { token, v, checkout } = await lockedCheckout();
    const body = recorded(succeeded, checkout.id, checkout.totals.total.amount);
    const res = await deliver(body);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ received: true, handled: true });
    expect((await deliver(body)).status).toBe(200);
    const after = await call("GET", `/api/v1/store/checkouts/${checkout.id}`, { token });
    expect(after.json).toMatchObject({ state: "COMPLETED", orderId: expect.stringMatching(/^ord_/) });
    const orders = await env.DB.prepare("SELECT COUNT(*) AS n FROM orders WHERE checkout_id = ?").bind(checkout.id).first<{ n: number }>();
    expect(orders!.n).toBe(1);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 1, reserved: 0 });
  });

  it("refuses a bad signature with 400 and changes nothing", async () => {
    const { token, checkout } = await lockedCheckout();
    const res = await deliver(recorded(succeeded, checkout.id, checkout.totals.total.amount), { secret: "whsec_wrong" });
    expect(res.status).toBe(400);
    expectErrorEnvelope(res, "VALIDATION_ERROR");
    expect((await call("GET", `/api/v1/store/checkouts/${checkout.id}`, { token })).json.state).toBe("LOCKED");
    const unsigned = await call("POST", "/api/v1/webhooks/payments", { body: recorded(succeeded, checkout.id, 1) });
    expect(unsigned.status).toBe(400);
  });

  it("refuses a replay older than 5 minutes", async () => {
    const { checkout } = await lockedCheckout();
    const res = await deliver(recorded(succeeded, checkout.id, checkout.totals.total.amount), { ageSeconds: 301 });
    expect(res.status).toBe(400);
  });

  it("refunds a succeeded payment whose amount differs from the checkout, and leaves the checkout to be paid", async () => {
    const { token, checkout } = await lockedCheckout();
    const stripe = vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json({ id: "re_test", status: "succeeded" }));
    const res = await deliver(recorded(succeeded, checkout.id, 1));
    expect(res.json).toEqual({ received: true, handled: true });
    expect((await call("GET", `/api/v1/store/checkouts/${checkout.id}`, { token })).json.state).toBe("LOCKED");
    expect(stripe).toHaveBeenCalledWith("https://api.stripe.com/v1/refunds", expect.objectContaining({ method: "POST" }));
    const payment = await env.DB.prepare("SELECT p.status, r.status AS refund FROM payments p JOIN refunds r ON r.payment_id = p.id WHERE p.checkout_id = ?").bind(checkout.id).first();
    expect(payment).toEqual({ status: "refunded", refund: "succeeded" });
  });

  it("a payment_failed event returns a pending payment to LOCKED", async () => {
    const { token, checkout } = await lockedCheckout();
    await env.DB.prepare("UPDATE checkouts SET state = 'PAYMENT_PENDING' WHERE id = ?").bind(checkout.id).run();
    const res = await deliver(recorded(failed, checkout.id, checkout.totals.total.amount));
    expect(res.json).toEqual({ received: true, handled: true });
    expect((await call("GET", `/api/v1/store/checkouts/${checkout.id}`, { token })).json.state).toBe("LOCKED");
  });

  it("refunds a payment for a checkout that had already failed", async () => {
    const { token, userId } = await registerCustomer();
    const v = await createVariant(0);
    await addToCart(token, v.id, 1);
    expect((await startCheckout(token)).status).toBe(409);
    const failedCheckout = await env.DB.prepare("SELECT id FROM checkouts WHERE customer_id = ? AND state = 'FAILED'").bind(userId).first<{ id: string }>();
    // Built per call: a Response made in the test's context cannot be read by the request handler.
    const stripe = vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json({ id: "re_test", status: "succeeded" }));
    const res = await deliver(recorded(succeeded, failedCheckout!.id, 1000));
    expect(res.json).toEqual({ received: true, handled: true });
    expect(stripe).toHaveBeenCalledWith("https://api.stripe.com/v1/refunds", expect.objectContaining({ method: "POST" }));
    const payment = await env.DB.prepare("SELECT status FROM payments WHERE checkout_id = ?").bind(failedCheckout!.id).first();
    expect(payment).toEqual({ status: "refunded" });
  });
});
