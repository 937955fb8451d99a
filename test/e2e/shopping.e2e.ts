/**
 * The shopping flow over HTTP against `npm run dev`: browse the seeded catalog, fill a cart, check
 * out, pay, and see the order and its confirmation email. Invariant under contention: 60 shoppers
 * for 20 units of one variant end with exactly 20 orders, stock 0, nothing reserved, no 5xx.
 */
import { describe, expect, it } from "vitest";
import { api, eventually, login, newCustomer, SEED_ADMIN } from "./client";
import { buy, firstInStockVariant } from "./shop";

describe("shopping (black box)", () => {
  it("browses, buys, and sees the order and its confirmation email", async () => {
    const variant = await firstInStockVariant();
    const shopper = await newCustomer("buyer");
    const { added, checkout, payment } = await buy(shopper.token, variant.id, 2);
    expect(added.response.status).toBe(201);
    expect(added.data!.items[0]).toMatchObject({ variantId: variant.id, quantity: 2 });
    expect(checkout.response.status).toBe(201);
    expect(checkout.data!.state).toBe("LOCKED");
    expect(payment!.response.status).toBe(200);
    expect(payment!.data).toMatchObject({ state: "COMPLETED", orderId: expect.any(String) });
    const orderId = payment!.data!.orderId!;

    const customer = api({ token: shopper.token });
    const orders = await customer.GET("/api/v1/store/orders");
    expect(orders.data!.data.map((o) => o.id)).toContain(orderId);
    const order = await customer.GET("/api/v1/store/orders/{id}", { params: { path: { id: orderId } } });
    expect(order.data!.lines[0]).toMatchObject({ variantId: variant.id, quantity: 2 });

    const stranger = await newCustomer("stranger");
    expect((await api({ token: stranger.token }).GET("/api/v1/store/orders/{id}", { params: { path: { id: orderId } } })).response.status).toBe(404);

    const admin = api({ token: (await login(SEED_ADMIN)).accessToken });
    const sent = await eventually(async () => {
      const page = await admin.GET("/api/v1/admin/emails", { params: { query: { status: "sent", limit: 100 } } });
      return page.data!.data.some((e) => e.template === "order_confirmation");
    });
    expect(sent).toBe(true);
  });

  it("sells 20 units to exactly 20 of 60 shoppers racing for them", async () => {
    const variant = await firstInStockVariant(1);
    const admin = api({ token: (await login(SEED_ADMIN)).accessToken });
    const set = await admin.PUT("/api/v1/admin/inventory/{variantId}", { params: { path: { variantId: variant.id } }, body: { onHand: 20 } });
    expect(set.response.status).toBe(200);

    const shoppers = await Promise.all(Array.from({ length: 60 }, (_, i) => newCustomer(`racer${i}`)));
    const results = await Promise.all(shoppers.map((s) => buy(s.token, variant.id)));

    const statuses = results.flatMap((r) => [r.added.response.status, r.checkout.response.status, r.payment?.response.status ?? 0]);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(results.filter((r) => r.checkout.response.status === 201)).toHaveLength(20);
    expect(results.filter((r) => r.checkout.response.status === 409).every((r) => r.checkout.error?.error.code === "INSUFFICIENT_INVENTORY")).toBe(true);
    expect(results.filter((r) => r.payment?.response.status === 200)).toHaveLength(20);

    const level = await admin.GET("/api/v1/admin/inventory/{variantId}", { params: { path: { variantId: variant.id } } });
    expect(level.data).toMatchObject({ onHand: 0, reserved: 0, available: 0 });
  });
});

describe("catalog under concurrent first reads (black box)", () => {
  it("answers many clients missing the same pages at once without a 5xx", async () => {
    // Regression: sharing one in-flight load between requests made workerd refuse some answers
    // ("Cannot perform I/O on behalf of a different request") under exactly this load.
    const store = api();
    const page = await store.GET("/api/v1/store/products", { params: { query: { limit: 100, sort: "price_desc" } } });
    const slugs = page.data!.data.map((p) => p.slug);
    const requests = [
      ...slugs.flatMap((slug) => Array.from({ length: 5 }, () => () => store.GET("/api/v1/store/products/{idOrSlug}", { params: { path: { idOrSlug: slug } } }))),
      ...Array.from({ length: 20 }, (_, i) => () => store.GET("/api/v1/store/products", { params: { query: { limit: 20, sort: "price_asc", minPrice: i * 100 } } })),
    ];
    const statuses: number[] = [];
    for (let i = 0; i < requests.length; i += 100) {
      statuses.push(...(await Promise.all(requests.slice(i, i + 100).map((r) => r()))).map((r) => r.response.status));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
