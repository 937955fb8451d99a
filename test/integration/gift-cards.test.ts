/**
 * Gift cards and store credit, through the API. Invariant (per account, in its GiftCardDO):
 * balance = issued − Σ captured + Σ given back ≥ held ≥ 0, whatever checkouts do at once; the
 * provider charges only what the balances leave, and nothing when they cover everything.
 */
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/lib/crypto";
import { testPaymentLedger } from "../../src/modules/payments/test-provider";
import { scheduledTasks } from "../../src/scheduled";
import { applyCard, balanceLedger, buy, clearBalanceAlarms, issueGiftCard, quickAdmin, quickCustomer } from "../factories/after-purchase";
import { addToCart, clearInventoryAlarms, createVariant, pay, startCheckout } from "../factories/commerce";
import { call, callWith, expectErrorEnvelope } from "../helpers";

let admin: Awaited<ReturnType<typeof quickAdmin>>;
beforeAll(async () => {
  admin = await quickAdmin();
});
afterAll(async () => {
  await clearBalanceAlarms();
  await clearInventoryAlarms();
});

const chargesOf = (checkoutId: string) => testPaymentLedger.charges.filter((c) => c.checkoutId === checkoutId);
const sweep = (name: string, at: number) => scheduledTasks.find((t) => t.name === name)!.run(env, at);

describe("POST /api/v1/admin/gift-cards", () => {
  it("shows the code once and stores only its hash", async () => {
    const res = await call("POST", "/api/v1/admin/gift-cards", { token: admin.token, body: { amount: 2500, currency: "USD" } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ balance: { amount: 2500, currency: "USD" }, initialAmount: { amount: 2500, currency: "USD" }, expiresAt: null });
    expect(res.json.code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    const row = await env.DB.prepare("SELECT * FROM gift_cards WHERE id = ?").bind(res.json.id).first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(res.json.code.replaceAll("-", ""));
    expect(row!.code_hash).toBe(await sha256Hex(`gift-card:${res.json.code.replaceAll("-", "")}`));
    const read = await call("GET", `/api/v1/admin/gift-cards/${res.json.id}`, { token: admin.token });
    expect(read.json).not.toHaveProperty("code");
    expect(read.json.last4).toBe(res.json.code.slice(-4));
  });

  it("refuses an expiry in the past with 422", async () => {
    const res = await call("POST", "/api/v1/admin/gift-cards", { token: admin.token, body: { amount: 100, currency: "USD", expiresAt: "2020-01-01T00:00:00Z" } });
    expect(res.status).toBe(422);
    expectErrorEnvelope(res, "VALIDATION_ERROR");
  });
});

describe("GET /api/v1/store/gift-cards/:code", () => {
  it("answers the balance by code, in any case and with or without dashes; an unknown code is 404", async () => {
    const card = await issueGiftCard(admin.token, 1200);
    const res = await call("GET", `/api/v1/store/gift-cards/${card.code.toLowerCase().replaceAll("-", "")}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ balance: { amount: 1200, currency: "USD" }, expiresAt: null });
    const unknown = await call("GET", "/api/v1/store/gift-cards/AAAA-BBBB-CCCC-DDDD");
    expect(unknown.status).toBe(404);
    expectErrorEnvelope(unknown, "NOT_FOUND");
  });

  it("limits lookups per address with its own policy, so codes cannot be guessed", async () => {
    const limited = { ...env, RATE_LIMIT_MULTIPLIER: "1", RATE_LIMIT_GIFT_CARD: "3/60" } as Env;
    const headers = { "CF-Connecting-IP": "203.0.113.77" };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await callWith(limited, "GET", `/api/v1/store/gift-cards/GUESS-${i}000-0000-0000`, { headers })).status);
    expect(statuses).toEqual([404, 404, 404, 429]);
    const other = await callWith(limited, "GET", "/api/v1/store/gift-cards/GUESS-9000-0000-0000", { headers: { "CF-Connecting-IP": "203.0.113.78" } });
    expect(other.status).toBe(404);
    // Entering codes on a cart counts against the same per-address policy.
    const shopper = await quickCustomer();
    const entered = await callWith(limited, "POST", "/api/v1/store/cart/gift-cards", { token: shopper.token, headers, body: { code: "GUESS-0000-0000-0001" } });
    expect(entered.status).toBe(429);
    expect(entered.headers.get("RateLimit-Policy")).toContain("3;w=60");
  });
});

describe("gift cards at checkout", () => {
  it("a card covering everything completes the order with no provider call", async () => {
    const v = await createVariant(5, 1500);
    const card = await issueGiftCard(admin.token, 2000);
    const shopper = await quickCustomer();
    await addToCart(shopper.token, v.id, 1);
    const cart = await applyCard(shopper.token, card.code);
    expect(cart.status).toBe(200);
    expect(cart.json.giftCards).toEqual([{ last4: card.code.slice(-4), amount: { amount: 1500, currency: "USD" } }]);
    expect(cart.json.totals).toMatchObject({ total: { amount: 1500 }, giftCard: { amount: 1500 }, amountDue: { amount: 0 } });
    const checkout = await startCheckout(shopper.token);
    expect(checkout.json.totals.amountDue.amount).toBe(0);
    // No payment details are needed when nothing is charged.
    const paid = await call("POST", `/api/v1/store/checkouts/${checkout.json.id}/payment`, { token: shopper.token, body: {} });
    expect(paid.status).toBe(200);
    expect(paid.json.state).toBe("COMPLETED");
    expect(chargesOf(checkout.json.id)).toEqual([]);
    expect((await call("GET", `/api/v1/store/gift-cards/${card.code}`)).json.balance.amount).toBe(500);
    const payment = await env.DB.prepare("SELECT provider, amount, status FROM payments WHERE checkout_id = ?").bind(checkout.json.id).first();
    expect(payment).toEqual({ provider: "balances", amount: 0, status: "succeeded" });
  });

  it("the provider charges only what the card leaves; a cancel gives the card its amount back and refunds the rest", async () => {
    const v = await createVariant(5, 3000);
    const card = await issueGiftCard(admin.token, 1000);
    const shopper = await quickCustomer();
    const { checkout, orderId } = await buy(shopper, [{ variantId: v.id, quantity: 1 }], () => applyCard(shopper.token, card.code));
    expect(chargesOf(checkout.id).map((c) => c.amount)).toEqual([2000]);
    expect((await balanceLedger(card.id)).account).toEqual({ issued: 1000, balance: 0, held: 0 });
    const cancelled = await call("POST", `/api/v1/store/orders/${orderId}/cancel`, { token: shopper.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.refunds.map((r: { amount: { amount: number } }) => r.amount.amount)).toEqual([2000]);
    expect((await balanceLedger(card.id)).account).toEqual({ issued: 1000, balance: 1000, held: 0 });
    // Settling again (the cron sweep) gives nothing back twice.
    await sweep("settle_interrupted_orders", Date.now() + 3600_000);
    expect((await balanceLedger(card.id)).account!.balance).toBe(1000);
  });

  it("is spent across two orders to exactly zero", async () => {
    const v = await createVariant(5, 1000);
    const card = await issueGiftCard(admin.token, 1500);
    const shopper = await quickCustomer();
    const first = await buy(shopper, [{ variantId: v.id, quantity: 1 }], () => applyCard(shopper.token, card.code));
    expect(chargesOf(first.checkout.id)).toEqual([]);
    const second = await buy(shopper, [{ variantId: v.id, quantity: 1 }], () => applyCard(shopper.token, card.code));
    expect(chargesOf(second.checkout.id).map((c) => c.amount)).toEqual([500]);
    expect((await call("GET", `/api/v1/store/gift-cards/${card.code}`)).json.balance.amount).toBe(0);
    const { holds } = await balanceLedger(card.id);
    expect(holds.map((h) => h.captured).sort()).toEqual([1000, 500].sort());
    // An empty card is refused on a cart.
    await addToCart(shopper.token, v.id, 1);
    const refused = await applyCard(shopper.token, card.code);
    expect(refused.status).toBe(422);
    expect(refused.json.error.details.reason).toBe("empty");
  });

  it("a declined payment keeps the hold until the checkout expires; expiry releases it", async () => {
    const v = await createVariant(5, 2000);
    const card = await issueGiftCard(admin.token, 500);
    const shopper = await quickCustomer();
    await addToCart(shopper.token, v.id, 1);
    await applyCard(shopper.token, card.code);
    const checkout = await startCheckout(shopper.token);
    expect((await pay(shopper.token, checkout.json.id, "tok_decline")).status).toBe(402);
    expect((await balanceLedger(card.id)).account).toMatchObject({ balance: 500, held: 500 });
    expect((await call("GET", `/api/v1/store/gift-cards/${card.code}`)).json.balance.amount).toBe(0);
    await sweep("expire_abandoned_checkouts", Date.now() + 3600_000);
    expect((await balanceLedger(card.id)).account).toMatchObject({ balance: 500, held: 0 });
  });

  it("20 checkouts spending one card at once never take it below zero", async () => {
    const v = await createVariant(100, 1000);
    const card = await issueGiftCard(admin.token, 4500);
    const shoppers = await Promise.all(Array.from({ length: 20 }, () => quickCustomer("racer")));
    for (const s of shoppers) {
      await addToCart(s.token, v.id, 1);
      expect((await applyCard(s.token, card.code)).status).toBe(200);
    }
    const checkouts = await Promise.all(shoppers.map((s) => startCheckout(s.token)));
    expect(checkouts.every((c) => c.status === 201)).toBe(true);
    const paid = await Promise.all(shoppers.map((s, i) => pay(s.token, checkouts[i]!.json.id)));
    expect(paid.map((p) => p.json.state)).toEqual(shoppers.map(() => "COMPLETED"));

    const cardParts = checkouts.map((c) => c.json.totals.giftCard.amount as number);
    expect(cardParts.reduce((a, b) => a + b, 0)).toBe(4500);
    expect(cardParts.filter((p) => p === 1000)).toHaveLength(4);
    expect(cardParts.filter((p) => p === 500)).toHaveLength(1);
    // Each order was charged at the provider exactly what its card part left.
    checkouts.forEach((c, i) => expect(chargesOf(c.json.id).map((x) => x.amount)).toEqual(cardParts[i] === 1000 ? [] : [1000 - cardParts[i]!]));
    const { account, holds } = await balanceLedger(card.id);
    const captured = holds.reduce((sum, h) => sum + h.captured, 0);
    expect(account).toEqual({ issued: 4500, balance: 4500 - captured, held: 0 });
    expect(account!.balance).toBe(0);
  });
});

describe("store credit", () => {
  it("an admin grants it once per Idempotency-Key; it pays at checkout and never goes negative", async () => {
    const shopper = await quickCustomer();
    const grant = (key: string) =>
      call("POST", `/api/v1/admin/store-credit/${shopper.userId}`, { token: admin.token, headers: { "Idempotency-Key": key }, body: { amount: 700, currency: "USD", note: "sorry" } });
    expect((await grant("g1")).json.balance.amount).toBe(700);
    expect((await grant("g1")).json.balance.amount).toBe(700);
    const mine = await call("GET", "/api/v1/store/store-credit", { token: shopper.token });
    expect(mine.json).toMatchObject({ balance: { amount: 700 }, entries: [{ amount: { amount: 700 }, kind: "grant", note: "sorry" }] });

    const v = await createVariant(5, 1000);
    await addToCart(shopper.token, v.id, 1);
    const cart = await call("POST", "/api/v1/store/cart/store-credit", { token: shopper.token });
    expect(cart.json.totals).toMatchObject({ storeCredit: { amount: 700 }, amountDue: { amount: 300 } });
    const checkout = await startCheckout(shopper.token);
    const paid = await pay(shopper.token, checkout.json.id);
    expect(paid.json.state).toBe("COMPLETED");
    expect(chargesOf(checkout.json.id).map((c) => c.amount)).toEqual([300]);
    expect((await call("GET", "/api/v1/store/store-credit", { token: shopper.token })).json.balance.amount).toBe(0);
    // With nothing left, using it is refused.
    const none = await call("POST", "/api/v1/store/cart/store-credit", { token: shopper.token });
    expect(none.status).toBe(422);
  });

  it("another customer's credit is not theirs to see: admins only", async () => {
    const shopper = await quickCustomer();
    const res = await call("GET", `/api/v1/admin/store-credit/${shopper.userId}`, { token: shopper.token });
    expect(res.status).toBe(403);
  });
});
