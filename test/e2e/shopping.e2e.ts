/**
 * The shopping flow over HTTP against `npm run dev`: browse the seeded catalog, fill a cart, check
 * out, pay, and see the order and its confirmation email. Invariant under contention: 60 shoppers
 * for 20 units of one variant end with exactly 20 orders, stock 0, nothing reserved, no 5xx.
 */
import { describe, expect, it } from "vitest";
import { http, login, newCustomer, SEED_ADMIN } from "./client";

async function firstInStockVariant(skip = 0) {
  const page = await http("GET", "/api/v1/store/products?limit=50");
  expect(page.status).toBe(200);
  const variants = page.json.data.flatMap((p: { variants: { id: string; available: number }[] }) => p.variants).filter((v: { available: number }) => v.available > 0);
  return variants[skip] as { id: string; available: number; price: { amount: number } };
}

async function buy(token: string, variantId: string, quantity = 1) {
  const added = await http("POST", "/api/v1/store/cart/items", { token, body: { variantId, quantity } });
  const checkout = await http("POST", "/api/v1/store/checkouts", { token, body: {}, headers: { "Idempotency-Key": crypto.randomUUID() } });
  if (checkout.status !== 201) return { added, checkout, payment: null };
  const payment = await http("POST", `/api/v1/store/checkouts/${checkout.json.id}/payment`, { token, body: { provider: "test", token: "tok_success" } });
  return { added, checkout, payment };
}

describe("shopping (black box)", () => {
  it("browses, buys, and sees the order and its confirmation email", async () => {
    const variant = await firstInStockVariant();
    const shopper = await newCustomer("buyer");
    const { added, checkout, payment } = await buy(shopper.token, variant.id, 2);
    expect(added.status).toBe(201);
    expect(added.json.items[0]).toMatchObject({ variantId: variant.id, quantity: 2 });
    expect(checkout.status).toBe(201);
    expect(checkout.json.state).toBe("LOCKED");
    expect(payment!.status).toBe(200);
    expect(payment!.json).toMatchObject({ state: "COMPLETED", orderId: expect.any(String) });

    const orders = await http("GET", "/api/v1/store/orders", { token: shopper.token });
    expect(orders.json.data.map((o: { id: string }) => o.id)).toContain(payment!.json.orderId);
    const order = await http("GET", `/api/v1/store/orders/${payment!.json.orderId}`, { token: shopper.token });
    expect(order.json.lines[0]).toMatchObject({ variantId: variant.id, quantity: 2 });

    const stranger = await newCustomer("stranger");
    expect((await http("GET", `/api/v1/store/orders/${payment!.json.orderId}`, { token: stranger.token })).status).toBe(404);

    const admin = await login(SEED_ADMIN);
    let sent = false;
    for (let i = 0; i < 60 && !sent; i++) {
      const page = await http("GET", "/api/v1/admin/emails?status=sent&limit=100", { token: admin.accessToken });
      sent = page.json.data.some((e: { template: string }) => e.template === "order_confirmation");
      if (!sent) await new Promise((r) => setTimeout(r, 250));
    }
    expect(sent).toBe(true);
  });

  it("sells 20 units to exactly 20 of 60 shoppers racing for them", async () => {
    const variant = await firstInStockVariant(1);
    const admin = await login(SEED_ADMIN);
    const set = await http("PUT", `/api/v1/admin/inventory/${variant.id}`, { token: admin.accessToken, body: { onHand: 20 } });
    expect(set.status).toBe(200);

    const shoppers = await Promise.all(Array.from({ length: 60 }, (_, i) => newCustomer(`racer${i}`)));
    const results = await Promise.all(shoppers.map((s) => buy(s.token, variant.id)));

    const statuses = results.flatMap((r) => [r.added.status, r.checkout.status, r.payment?.status ?? 0]);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(results.filter((r) => r.checkout.status === 201)).toHaveLength(20);
    expect(results.filter((r) => r.checkout.status === 409).every((r) => r.checkout.json.error.code === "INSUFFICIENT_INVENTORY")).toBe(true);
    expect(results.filter((r) => r.payment?.status === 200)).toHaveLength(20);

    const level = await http("GET", `/api/v1/admin/inventory/${variant.id}`, { token: admin.accessToken });
    expect(level.json).toMatchObject({ onHand: 0, reserved: 0, available: 0 });
  });
});

describe("catalog under concurrent first reads (black box)", () => {
  it("answers many clients missing the same pages at once without a 5xx", async () => {
    // Regression: sharing one in-flight load between requests made workerd refuse some answers
    // ("Cannot perform I/O on behalf of a different request") under exactly this load.
    const page = await http("GET", "/api/v1/store/products?limit=100&sort=price_desc");
    const slugs: string[] = page.json.data.map((p: { slug: string }) => p.slug);
    const paths = slugs.flatMap((slug) => Array.from({ length: 5 }, () => `/api/v1/store/products/${slug}`));
    paths.push(...Array.from({ length: 20 }, (_, i) => `/api/v1/store/products?limit=20&sort=price_asc&minPrice=${i * 100}`));
    const statuses: number[] = [];
    for (let i = 0; i < paths.length; i += 100) {
      statuses.push(...(await Promise.all(paths.slice(i, i + 100).map((p) => http("GET", p)))).map((r) => r.status));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
