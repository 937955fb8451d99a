import { env, evictDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/lib/crypto";
import { createCheckout } from "../../src/modules/checkout/service";
import { resumePaidCheckouts } from "../../src/modules/checkout/sweeps";
import { addToCart, clearInventoryAlarms, createProduct, createVariant, inventoryStub, pay, startCheckout } from "../factories/commerce";
import { faultyEnv, latch } from "../faults";
import { call, expectErrorEnvelope, registerCustomer } from "../helpers";

afterEach(() => clearInventoryAlarms());

const count = async (sql: string, ...args: unknown[]) =>
  (await env.DB.prepare(sql).bind(...args).first<{ n: number }>())!.n;

describe("POST /api/v1/store/checkouts", () => {
  it("locks the cart: 201 LOCKED with the price snapshot, and the stock is reserved", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(5, 1250, 1000);
    await addToCart(token, v.id, 2);
    const res = await startCheckout(token);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ state: "LOCKED", orderId: null, lines: [{ variantId: v.id, quantity: 2, unitPrice: { amount: 1250 } }] });
    expect(res.json.totals).toMatchObject({ subtotal: { amount: 2500 }, tax: { amount: 250 }, total: { amount: 2750 } });
    expect(Date.parse(res.json.expiresAt)).toBeGreaterThan(Date.now());
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
  });

  it("answers 422 VALIDATION_ERROR without an Idempotency-Key", async () => {
    const { token } = await registerCustomer();
    const res = await call("POST", "/api/v1/store/checkouts", { token });
    expect(res.status).toBe(422);
    expectErrorEnvelope(res, "VALIDATION_ERROR");
  });

  it("answers 422 for an empty cart", async () => {
    const { token } = await registerCustomer();
    const res = await startCheckout(token);
    expect(res.status).toBe(422);
  });

  it("replays the same answer for the same key and body, and 422 IDEMPOTENCY_CONFLICT for another body", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(5);
    await addToCart(token, v.id, 1);
    const first = await startCheckout(token, "same-key");
    const again = await startCheckout(token, "same-key");
    expect(again.status).toBe(201);
    expect(again.json.id).toBe(first.json.id);
    expect((await inventoryStub(v.id).snapshot(v.id)).reserved).toBe(1);
    const other = await startCheckout(token, "same-key", { note: "leave at the door" });
    expect(other.status).toBe(422);
    expectErrorEnvelope(other, "IDEMPOTENCY_CONFLICT");
  });

  it("answers 409 INSUFFICIENT_INVENTORY naming each short line, and reserves nothing", async () => {
    const { token } = await registerCustomer();
    const { variants } = await createProduct({ variants: [{ stock: 5 }, { stock: 1 }, { stock: 0 }] });
    for (const [i, v] of variants.entries()) await addToCart(token, v.id, i === 0 ? 2 : 3);
    const res = await startCheckout(token);
    expect(res.status).toBe(409);
    expectErrorEnvelope(res, "INSUFFICIENT_INVENTORY");
    expect(res.json.error.details.lines).toEqual(
      expect.arrayContaining([
        { variantId: variants[1]!.id, requested: 3, available: 1 },
        { variantId: variants[2]!.id, requested: 3, available: 0 },
      ]),
    );
    expect(res.json.error.details.lines).toHaveLength(2);
    for (const v of variants) expect((await inventoryStub(v.id).snapshot(v.id)).reserved).toBe(0);
  });

  it("stock 1, two customers at the same moment: exactly one 201 and one 409", async () => {
    const v = await createVariant(1);
    const a = await registerCustomer();
    const b = await registerCustomer();
    await addToCart(a.token, v.id);
    await addToCart(b.token, v.id);
    const answers = await Promise.all([startCheckout(a.token), startCheckout(b.token)]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
  });
});

describe("GET /api/v1/store/checkouts/:id", () => {
  it("answers the owner and 404 for another customer", async () => {
    const owner = await registerCustomer();
    const other = await registerCustomer();
    const v = await createVariant();
    await addToCart(owner.token, v.id);
    const { json } = await startCheckout(owner.token);
    expect((await call("GET", `/api/v1/store/checkouts/${json.id}`, { token: owner.token })).json.state).toBe("LOCKED");
    const res = await call("GET", `/api/v1/store/checkouts/${json.id}`, { token: other.token });
    expect(res.status).toBe(404);
    expect((await pay(other.token, json.id)).status).toBe(404);
  });
});

describe("POST /api/v1/store/checkouts/:id/payment", () => {
  it("pays: COMPLETED with an order, stock sold, confirmation queued, cart converted", async () => {
    const { token, userId } = await registerCustomer();
    const v = await createVariant(5, 800);
    await addToCart(token, v.id, 2);
    const checkout = await startCheckout(token);
    const res = await pay(token, checkout.json.id);
    expect(res.status).toBe(200);
    expect(res.json.state).toBe("COMPLETED");
    expect(res.json.orderId).toMatch(/^ord_/);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    expect(await count("SELECT COUNT(*) AS n FROM orders WHERE customer_id = ?", userId)).toBe(1);
    const outbox = await env.DB.prepare("SELECT template, status, dedupe_key FROM email_outbox WHERE dedupe_key = ?").bind(`order_confirmation:${res.json.orderId}`).first();
    expect(outbox).toEqual({ template: "order_confirmation", status: "pending", dedupe_key: `order_confirmation:${res.json.orderId}` });
    expect((await call("GET", "/api/v1/store/cart", { token })).json.items).toEqual([]);
    const again = await pay(token, checkout.json.id);
    expect(again.json.orderId).toBe(res.json.orderId);
    expect(await count("SELECT COUNT(*) AS n FROM orders WHERE customer_id = ?", userId)).toBe(1);
  });

  it("answers 402 PAYMENT_FAILED for a decline and keeps the stock reserved for a retry", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(1);
    await addToCart(token, v.id);
    const checkout = await startCheckout(token);
    const declined = await pay(token, checkout.json.id, "tok_decline");
    expect(declined.status).toBe(402);
    expectErrorEnvelope(declined, "PAYMENT_FAILED");
    expect((await inventoryStub(v.id).snapshot(v.id)).reserved).toBe(1);
    const retried = await pay(token, checkout.json.id);
    expect(retried.json.state).toBe("COMPLETED");
  });

  it("two simultaneous payments of one checkout take the money once and make one order", async () => {
    const { token, userId } = await registerCustomer();
    const v = await createVariant(3);
    await addToCart(token, v.id, 1);
    const checkout = await startCheckout(token);
    const answers = await Promise.all([pay(token, checkout.json.id), pay(token, checkout.json.id)]);
    // The loser either finds the payment in progress (409) or the checkout already paid (200, same order).
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
    const orderIds = new Set(answers.filter((a) => a.status === 200).map((a) => a.json.orderId));
    expect(orderIds.size).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM orders WHERE customer_id = ?", userId)).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM payments WHERE checkout_id = ? AND status = 'succeeded'", checkout.json.id)).toBe(1);
    expect((await inventoryStub(v.id).snapshot(v.id)).onHand).toBe(2);
  });

  it("completes correctly when the inventory object is evicted between reserve and commit", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(3);
    await addToCart(token, v.id, 2);
    const checkout = await startCheckout(token);
    await evictDurableObject(inventoryStub(v.id));
    const res = await pay(token, checkout.json.id);
    expect(res.json.state).toBe("COMPLETED");
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 1, reserved: 0 });
  });

  it("when finalize fails after the stock is committed, the sweep makes exactly one order, and a second sweep changes nothing", async () => {
    const { token, userId } = await registerCustomer();
    const v = await createVariant(2);
    await addToCart(token, v.id, 1);
    const checkout = await startCheckout(token);
    await env.DB.prepare("CREATE TRIGGER fail_orders BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'injected failure'); END").run();
    const res = await pay(token, checkout.json.id);
    await env.DB.prepare("DROP TRIGGER fail_orders").run();
    expect(res.status).toBe(200);
    expect(res.json.state).toBe("PAYMENT_CONFIRMED");
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 1, reserved: 0 });
    const later = Date.now() + 60_000;
    expect(await resumePaidCheckouts(env, later)).toMatchObject({ resumed: 1 });
    await resumePaidCheckouts(env, later + 1);
    expect(await count("SELECT COUNT(*) AS n FROM orders WHERE customer_id = ?", userId)).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM order_items WHERE order_id = (SELECT id FROM orders WHERE customer_id = ?)", userId)).toBe(1);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 1, reserved: 0 });
    const after = await call("GET", `/api/v1/store/checkouts/${checkout.json.id}`, { token });
    expect(after.json).toMatchObject({ state: "COMPLETED", orderId: expect.stringMatching(/^ord_/) });
  });

  it("60 customers for 20 units, all at once, then all pay: 20 orders, stock 0, nothing reserved, no 5xx", async () => {
    const v = await createVariant(20, 500);
    const customers = await Promise.all(Array.from({ length: 60 }, () => registerCustomer()));
    await Promise.all(customers.map((c) => addToCart(c.token, v.id)));
    const checkouts = await Promise.all(customers.map((c) => startCheckout(c.token)));
    expect(checkouts.filter((r) => r.status >= 500)).toEqual([]);
    expect(checkouts.filter((r) => r.status === 201)).toHaveLength(20);
    expect(checkouts.filter((r) => r.status === 409)).toHaveLength(40);
    const payments = await Promise.all(
      checkouts.map((r, i) => (r.status === 201 ? pay(customers[i]!.token, r.json.id) : null)).filter((p) => p !== null),
    );
    expect(payments.map((p) => p.status)).toEqual(Array(20).fill(200));
    expect(await count("SELECT COUNT(*) AS n FROM order_items WHERE variant_id = ?", v.id)).toBe(20);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 0, reserved: 0, available: 0 });
  });
});

describe("POST /api/v1/store/checkouts (a second checkout of the same cart)", () => {
  it("supersedes the older open checkout, so the cart's stock is never held twice", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(3);
    await addToCart(token, v.id, 2);
    const first = await startCheckout(token);
    const second = await startCheckout(token);
    expect(second.status).toBe(201);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ reserved: 2, available: 1 });
    expect((await call("GET", `/api/v1/store/checkouts/${first.json.id}`, { token })).json.state).toBe("EXPIRED");
    expect((await pay(token, first.json.id)).status).toBe(409);
    expect((await pay(token, second.json.id)).json.state).toBe("COMPLETED");
  });

  it("a checkout that locks after a newer one of the same cart supersedes it: one stays open, one order, one unit's worth of stock held", async () => {
    const { token, userId } = await registerCustomer();
    const v = await createVariant(10);
    await addToCart(token, v.id, 2);
    // The older request (its id is from an earlier clock) has read the cart and held its stock, and
    // pauses before its write batch; meanwhile a newer checkout of the same cart locks and answers.
    const reachedWrite = latch();
    const resume = latch();
    const slow = faultyEnv(env, {
      d1: async ({ sql }) => {
        if (sql[0]!.startsWith("INSERT INTO checkouts")) {
          reachedWrite.open();
          await resume.opened;
        }
      },
    });
    const older = createCheckout(slow, userId, "older-key", {}, Date.now() - 1_000);
    await reachedWrite.opened;
    const newer = await startCheckout(token, "newer-key");
    expect(newer.status).toBe(201);
    resume.open();
    const olderCheckout = await older;
    expect(olderCheckout.id < newer.json.id).toBe(true);

    const open = await count("SELECT COUNT(*) AS n FROM checkouts WHERE customer_id = ? AND state IN ('CREATED', 'LOCKED')", userId);
    expect(open).toBe(1);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 10, reserved: 2 });
    // The one that locked last is the cart's checkout; the other can no longer be paid.
    expect((await call("GET", `/api/v1/store/checkouts/${newer.json.id}`, { token })).json.state).toBe("EXPIRED");
    expect((await pay(token, newer.json.id)).status).toBe(409);
    expect((await pay(token, olderCheckout.id)).json.state).toBe("COMPLETED");
    expect(await count("SELECT SUM(quantity) AS n FROM order_items WHERE variant_id = ?", v.id)).toBe(2);
  });

  it("five checkouts of one cart at once, under five keys: one is left open, holding the stock, and only it pays", async () => {
    const { token, userId } = await registerCustomer();
    const v = await createVariant(20);
    await addToCart(token, v.id, 2);
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => startCheckout(token, `same-cart-${i}-${Date.now()}`)));
    expect(answers.filter((r) => r.status >= 500)).toEqual([]);
    expect(answers.every((r) => r.status === 201)).toBe(true);
    // Each lock's write expires every other open checkout of the cart: the one written last is left.
    const open = await env.DB.prepare("SELECT id FROM checkouts WHERE customer_id = ? AND state IN ('CREATED', 'LOCKED')").bind(userId).all<{ id: string }>();
    expect(open.results).toHaveLength(1);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 20, reserved: 2 });
    const left = open.results[0]!.id;
    for (const other of answers.map((r) => r.json.id as string).filter((id) => id !== left)) expect((await pay(token, other)).status).toBe(409);
    expect((await pay(token, left)).json.state).toBe("COMPLETED");
    expect(await count("SELECT SUM(quantity) AS n FROM order_items WHERE variant_id = ?", v.id)).toBe(2);
  });
});

describe("POST /api/v1/store/checkouts (a request that died mid-way)", () => {
  it("answers 409 while the key's first request is in flight, and lets a retry take over an abandoned claim", async () => {
    const { token, userId } = await registerCustomer();
    const v = await createVariant(2);
    await addToCart(token, v.id, 1);
    const now = Date.now();
    // The claim a crashed request left behind: same body (none), no stored answer.
    const hash = await sha256Hex(JSON.stringify({ cartId: null, note: null }));
    await env.DB.prepare("INSERT INTO idempotency_keys (scope, key, request_hash, created_at, expires_at) VALUES (?, 'crashed', ?, ?, ?)")
      .bind(`checkout:${userId}`, hash, now, now + 3600_000)
      .run();
    const busy = await startCheckout(token, "crashed");
    expect(busy.status).toBe(409);
    expectErrorEnvelope(busy, "CONFLICT");
    await env.DB.prepare("UPDATE idempotency_keys SET created_at = ? WHERE key = 'crashed'").bind(now - 120_000).run();
    const retried = await startCheckout(token, "crashed");
    expect(retried.status).toBe(201);
    expect(retried.json.state).toBe("LOCKED");
  });
});
