import { createExecutionContext, createScheduledController, env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { expireAbandonedCheckouts, resumePaidCheckouts } from "../../src/modules/checkout/sweeps";
import { runScheduled } from "../../src/scheduled";
import { addToCart, clearInventoryAlarms, createVariant, inventoryStub, pay, startCheckout } from "../factories/commerce";
import { call, expectErrorEnvelope, registerCustomer } from "../helpers";

afterEach(() => clearInventoryAlarms());

describe("cron: expire abandoned checkouts", () => {
  it("expires a checkout past its expiry and gives its stock back; payment then answers 409 INVALID_STATE", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(2);
    await addToCart(token, v.id, 2);
    const checkout = await startCheckout(token);
    const result = await expireAbandonedCheckouts(env, Date.parse(checkout.json.expiresAt) + 1);
    expect(result.expired).toBeGreaterThanOrEqual(1);
    expect(await inventoryStub(v.id).snapshot(v.id)).toMatchObject({ onHand: 2, reserved: 0 });
    expect((await call("GET", `/api/v1/store/checkouts/${checkout.json.id}`, { token })).json.state).toBe("EXPIRED");
    const res = await pay(token, checkout.json.id);
    expect(res.status).toBe(409);
    expectErrorEnvelope(res, "INVALID_STATE");
  });

  it("leaves a checkout that has not expired alone", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(2);
    await addToCart(token, v.id, 1);
    const checkout = await startCheckout(token);
    await expireAbandonedCheckouts(env, Date.now());
    expect((await call("GET", `/api/v1/store/checkouts/${checkout.json.id}`, { token })).json.state).toBe("LOCKED");
  });
});

describe("cron: resume paid checkouts", () => {
  it("returns a payment stuck in PAYMENT_PENDING to LOCKED so the shopper can pay again", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(2);
    await addToCart(token, v.id, 1);
    const checkout = await startCheckout(token);
    await env.DB.prepare("UPDATE checkouts SET state = 'PAYMENT_PENDING' WHERE id = ?").bind(checkout.json.id).run();
    expect((await pay(token, checkout.json.id)).status).toBe(409);
    await resumePaidCheckouts(env, Date.now() + 10 * 60_000);
    expect((await pay(token, checkout.json.id)).json.state).toBe("COMPLETED");
  });

  it("is registered in the cron sweep, which runs without failing", async () => {
    const controller = createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" });
    await expect(runScheduled(controller, env, createExecutionContext())).resolves.toBeUndefined();
  });
});

describe("sweep queries", () => {
  it("use the checkouts state index (no full scan)", async () => {
    const queries = [
      "SELECT id FROM checkouts WHERE state IN ('CREATED', 'LOCKED') AND expires_at <= ? ORDER BY expires_at LIMIT 50",
      "SELECT id FROM checkouts WHERE state IN ('PAYMENT_CONFIRMED', 'ORDER_CREATED') AND updated_at < ? ORDER BY updated_at LIMIT 50",
      "SELECT id FROM checkouts WHERE customer_id = ? AND cart_id = ? AND state IN ('CREATED', 'LOCKED') AND id < ? LIMIT 20",
    ];
    for (const sql of queries) {
      const args = sql.split("?").slice(1).map(() => 0);
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...args).all<{ detail: string }>();
      const details = results.map((r) => r.detail).join(" | ");
      expect(details).toMatch(/USING INDEX/);
      expect(details).not.toMatch(/SCAN checkouts(?! USING)/);
    }
  });
});

describe("GET /api/v1/store/checkouts/:id past its expiry", () => {
  it("shows EXPIRED and gives the stock back without waiting for the sweep", async () => {
    const { token } = await registerCustomer();
    const v = await createVariant(2);
    await addToCart(token, v.id, 2);
    const checkout = await startCheckout(token);
    await env.DB.prepare("UPDATE checkouts SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, checkout.json.id).run();
    expect((await call("GET", `/api/v1/store/checkouts/${checkout.json.id}`, { token })).json.state).toBe("EXPIRED");
    expect((await inventoryStub(v.id).snapshot(v.id)).available).toBe(2);
  });
});
