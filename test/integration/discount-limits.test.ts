/**
 * Invariant: a code with usage limit N is on at most N orders, however many checkouts price it
 * at once; every other payment is refused before any charge with a clear 409, its checkout ends
 * FAILED and its stock goes back.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { addToCart, clearInventoryAlarms, createVariant, inventoryStub, pay, startCheckout } from "../factories/commerce";
import { createDiscount, enterCode } from "../factories/pricing";
import { call, registerCustomer } from "../helpers";

afterEach(() => clearInventoryAlarms());

const count = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).first<{ n: number }>())!.n;
const usageOf = async (id: string) => count("SELECT usage_count AS n FROM discounts WHERE id = ?", id);

async function shopperWithCode(variantId: string, code: string) {
  const customer = await registerCustomer();
  await addToCart(customer.token, variantId, 1);
  const entered = await enterCode(customer.token, code);
  if (entered.status !== 200) throw new Error(`enter code failed: ${entered.status} ${entered.text}`);
  return customer;
}

describe("POST /api/v1/store/checkouts/:id/payment: discount usage limits", () => {
  it("code with usage limit 5, 20 customers check out and pay at once: exactly 5 orders carry it, 15 clear 409s, no stock held", async () => {
    const v = await createVariant(100, 2000);
    const discount = await createDiscount({ kind: "cart_fixed", value: 500, usageLimit: 5 });
    const shoppers = [];
    for (let i = 0; i < 20; i++) shoppers.push(await shopperWithCode(v.id, discount.code!));
    const checkouts = await Promise.all(shoppers.map((s) => startCheckout(s.token)));
    expect(checkouts.map((c) => c.status)).toEqual(Array(20).fill(201));
    expect(checkouts.every((c) => c.json.totals.discount.amount === 500)).toBe(true);

    const payments = await Promise.all(shoppers.map((s, i) => pay(s.token, checkouts[i]!.json.id)));
    const statuses = payments.map((p) => p.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(15);
    for (const refused of payments.filter((p) => p.status === 409)) {
      expect(refused.json.error).toMatchObject({ code: "CONFLICT", details: { reason: "usage_limit_reached", code: discount.code } });
    }
    expect(await count("SELECT COUNT(*) AS n FROM discount_redemptions WHERE discount_id = ?", discount.id)).toBe(5);
    expect(await usageOf(discount.id)).toBe(5);
    const ids = checkouts.map((c) => c.json.id as string);
    const marks = ids.map(() => "?").join(", ");
    const states = await env.DB.prepare(`SELECT state, failure_reason, COUNT(*) AS n FROM checkouts WHERE id IN (${marks}) GROUP BY state, failure_reason ORDER BY state`)
      .bind(...ids)
      .all();
    expect(states.results).toEqual([
      { state: "COMPLETED", failure_reason: null, n: 5 },
      { state: "FAILED", failure_reason: "usage_limit_reached", n: 15 },
    ]);
    // Refused before the charge: no payment row at all for the failed ones.
    expect(await count(`SELECT COUNT(*) AS n FROM payments WHERE checkout_id IN (${marks})`, ...ids)).toBe(5);
    expect(await count(`SELECT COUNT(*) AS n FROM orders WHERE discount_total = 500 AND checkout_id IN (${marks})`, ...ids)).toBe(5);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 95, reserved: 0 });
  });

  it("gives the use back when the charge is declined, so the next shopper can have it", async () => {
    const v = await createVariant(10, 2000);
    const discount = await createDiscount({ kind: "cart_fixed", value: 500, usageLimit: 1 });
    const first = await shopperWithCode(v.id, discount.code!);
    const second = await shopperWithCode(v.id, discount.code!);
    const a = await startCheckout(first.token);
    const b = await startCheckout(second.token);
    expect((await pay(first.token, a.json.id, "tok_decline")).status).toBe(402);
    expect(await usageOf(discount.id)).toBe(0);
    expect((await pay(second.token, b.json.id)).status).toBe(200);
    expect(await usageOf(discount.id)).toBe(1);
    const late = await pay(first.token, a.json.id);
    expect(late.status).toBe(409);
    expect(late.json.error.details).toEqual({ reason: "usage_limit_reached", code: discount.code });
    expect((await call("GET", `/api/v1/store/checkouts/${a.json.id}`, { token: first.token })).json.state).toBe("FAILED");
  });

  it("redeems a once-per-customer code once when the customer checks out twice at the same moment", async () => {
    const v = await createVariant(10, 2000);
    const discount = await createDiscount({ kind: "cart_fixed", value: 500, perCustomerLimit: 1 });
    const shopper = await shopperWithCode(v.id, discount.code!);
    // Two checkouts of one cart: the newer supersedes the older, and the claim before the charge
    // guards whatever interleaving remains — either way one order at most carries the code.
    const started = await Promise.all([startCheckout(shopper.token, "once-a"), startCheckout(shopper.token, "once-b")]);
    expect(started.every((r) => r.status < 500)).toBe(true);
    const payments = [];
    for (const checkout of started.filter((r) => r.status === 201)) payments.push(await pay(shopper.token, checkout.json.id));
    expect(payments.every((p) => p.status < 500)).toBe(true);
    expect(payments.filter((p) => p.status === 200)).toHaveLength(1);
    const redemptions = await env.DB.prepare("SELECT count(*) AS n FROM discount_redemptions WHERE discount_id = ?").bind(discount.id).first<{ n: number }>();
    expect(redemptions!.n).toBe(1);
    const again = await call("POST", "/api/v1/store/cart/items", { token: shopper.token, body: { variantId: v.id, quantity: 1 } });
    expect(again.status).toBe(201);
    const reuse = await call("POST", "/api/v1/store/cart/discounts", { token: shopper.token, body: { code: discount.code } });
    expect(reuse.status).toBe(422);
    expect(reuse.json.error.details.reason).toBe("customer_limit_reached");
  });

  it("answers 409 at checkout when a code on the cart stopped applying since it was entered", async () => {
    const v = await createVariant(10, 2000);
    const discount = await createDiscount({ kind: "cart_fixed", value: 500, usageLimit: 3 });
    const shopper = await shopperWithCode(v.id, discount.code!);
    await env.DB.prepare("UPDATE discounts SET usage_count = 3 WHERE id = ?").bind(discount.id).run();
    const res = await startCheckout(shopper.token);
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: "CONFLICT", details: { reason: "usage_limit_reached", code: discount.code } });
    expect((await inventoryStub(v.id).snapshot(v.id)).reserved).toBe(0);
    const cart = await call("GET", "/api/v1/store/cart", { token: shopper.token });
    expect(cart.json.inactiveCodes).toEqual([{ code: discount.code, reason: "usage_limit_reached" }]);
  });
});
