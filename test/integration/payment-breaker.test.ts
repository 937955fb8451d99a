/**
 * A payment provider that fails is a failed payment the shopper can retry — 402 with the reason,
 * the checkout back to LOCKED with its stock — and after repeated failures the circuit opens, so
 * charges fail fast instead of hammering the provider.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { outboundBreakers } from "../../src/modules/outbound/breakers";
import { testProvider } from "../../src/modules/payments/test-provider";
import { addToCart, clearInventoryAlarms, createVariant, pay, startCheckout } from "../factories/commerce";
import { call, registerCustomer } from "../helpers";

afterEach(async () => {
  vi.restoreAllMocks();
  outboundBreakers.reset();
  await clearInventoryAlarms();
});

async function lockedCheckout() {
  const variant = await createVariant(20, 1500);
  const shopper = await registerCustomer();
  await addToCart(shopper.token, variant.id, 1);
  const checkout = await startCheckout(shopper.token);
  expect(checkout.status).toBe(201);
  return { shopper, checkoutId: checkout.json.id as string };
}

describe("POST /api/v1/store/checkouts/:id/payment when the provider fails", () => {
  it("answers 402 provider_unavailable and leaves the checkout LOCKED for a retry", async () => {
    vi.spyOn(testProvider, "start").mockRejectedValue(new Error("connect ETIMEDOUT"));
    const { shopper, checkoutId } = await lockedCheckout();
    const res = await pay(shopper.token, checkoutId);
    expect(res.status).toBe(402);
    expect(res.json.error).toMatchObject({ code: "PAYMENT_FAILED", details: { reason: "provider_unavailable" } });
    const state = await call("GET", `/api/v1/store/checkouts/${checkoutId}`, { token: shopper.token });
    expect(state.json.state).toBe("LOCKED");

    vi.restoreAllMocks();
    outboundBreakers.reset();
    const retry = await pay(shopper.token, checkoutId);
    expect(retry.status).toBe(200);
    expect(retry.json.state).toBe("COMPLETED");
  });

  it("stops calling the provider once its circuit opens, and says when to retry", async () => {
    const start = vi.spyOn(testProvider, "start").mockRejectedValue(new Error("503 from provider"));
    const attempts = [];
    for (let i = 0; i < 7; i++) {
      const { shopper, checkoutId } = await lockedCheckout();
      attempts.push(await pay(shopper.token, checkoutId));
    }
    expect(attempts.every((r) => r.status === 402)).toBe(true);
    expect(start).toHaveBeenCalledTimes(5);
    expect(attempts[6]!.json.error.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(outboundBreakers.snapshot()).toEqual(expect.arrayContaining([expect.objectContaining({ name: "payment:test", state: "open" })]));
  });
});
