/**
 * After the purchase, over HTTP against `npm run dev`: a return of one of two units puts one unit
 * back on hand and refunds exactly that unit's share of what the line cost; a gift card pays two
 * orders until its balance is exactly zero, the provider charging only what it leaves; an exchange
 * for a dearer variant is paid before it is approved and ships with nothing refunded.
 */
import { describe, expect, it } from "vitest";
import { api, login, newCustomer, SEED_ADMIN } from "./client";
import { firstInStockVariant, shipCart } from "./shop";

async function adminClient() {
  return api({ token: (await login(SEED_ADMIN)).accessToken });
}

describe("returns (black box)", () => {
  it("returns one of two units: stock +1 and a refund of exactly that unit's share", async () => {
    const admin = await adminClient();
    const variant = await firstInStockVariant(4);
    const shopper = api({ token: (await newCustomer("returner")).token });
    await shopper.POST("/api/v1/store/cart/items", { body: { variantId: variant.id, quantity: 2 } });
    await shipCart(shopper);
    const checkout = await shopper.POST("/api/v1/store/checkouts", { body: {}, params: { header: { "idempotency-key": crypto.randomUUID() } } });
    const paid = await shopper.POST("/api/v1/store/checkouts/{id}/payment", { params: { path: { id: checkout.data!.id } }, body: { provider: "test", token: "tok_success" } });
    const orderId = paid.data!.orderId!;
    for (const status of ["processing", "shipped", "delivered"] as const) {
      expect((await admin.POST("/api/v1/admin/orders/{id}/status", { params: { path: { id: orderId } }, body: { status } })).response.status).toBe(200);
    }
    const line = (await shopper.GET("/api/v1/store/orders/{id}", { params: { path: { id: orderId } } })).data!.lines[0]!;
    const before = (await admin.GET("/api/v1/admin/inventory/{variantId}", { params: { path: { variantId: variant.id } } })).data!;

    const asked = await shopper.POST("/api/v1/store/orders/{id}/returns", { params: { path: { id: orderId } }, body: { lines: [{ variantId: variant.id, quantity: 1, reason: "changed my mind" }] } });
    expect(asked.response.status).toBe(201);
    // One unit of two: half the line's total (after discounts, with tax), rounded down.
    const share = Math.floor(line.total.amount / 2);
    expect(asked.data).toMatchObject({ status: "requested", refundAmount: { amount: share, currency: line.total.currency } });
    const tooMany = await shopper.POST("/api/v1/store/orders/{id}/returns", { params: { path: { id: orderId } }, body: { lines: [{ variantId: variant.id, quantity: 2 }] } });
    expect(tooMany.response.status).toBe(422);

    const id = asked.data!.id;
    expect((await admin.POST("/api/v1/admin/returns/{id}/approve", { params: { path: { id } } })).data!.status).toBe("approved");
    const received = await admin.POST("/api/v1/admin/returns/{id}/receive", { params: { path: { id } }, body: { restock: true } });
    expect(received.data).toMatchObject({ status: "refunded", refunds: [{ destination: "payment", amount: { amount: share }, status: "succeeded" }] });
    const after = (await admin.GET("/api/v1/admin/inventory/{variantId}", { params: { path: { variantId: variant.id } } })).data!;
    expect(after.onHand).toBe(before.onHand + 1);
    const order = await shopper.GET("/api/v1/store/orders/{id}", { params: { path: { id: orderId } } });
    expect(order.data!.refunds.map((r) => ({ amount: r.amount.amount, status: r.status }))).toEqual([{ amount: share, status: "succeeded" }]);
  });
});

describe("exchanges (black box)", () => {
  it("an exchange for a dearer variant: the difference is paid first, then the replacement ships and nothing is refunded", async () => {
    const admin = await adminClient();
    const page = await api().GET("/api/v1/store/products", { params: { query: { limit: 50 } } });
    const inStock = page.data!.data.flatMap((p) => p.variants).filter((v) => v.available > 2);
    const cheap = inStock.reduce((a, b) => (b.price.amount < a.price.amount ? b : a));
    const dear = inStock.reduce((a, b) => (b.price.amount > a.price.amount ? b : a));
    expect(dear.price.amount).toBeGreaterThan(cheap.price.amount);
    const shopper = api({ token: (await newCustomer("exchanger")).token });
    await shopper.POST("/api/v1/store/cart/items", { body: { variantId: cheap.id, quantity: 1 } });
    await shipCart(shopper);
    const checkout = await shopper.POST("/api/v1/store/checkouts", { body: {}, params: { header: { "idempotency-key": crypto.randomUUID() } } });
    const orderId = (await shopper.POST("/api/v1/store/checkouts/{id}/payment", { params: { path: { id: checkout.data!.id } }, body: { token: "tok_success" } })).data!.orderId!;
    for (const status of ["processing", "shipped", "delivered"] as const) {
      expect((await admin.POST("/api/v1/admin/orders/{id}/status", { params: { path: { id: orderId } }, body: { status } })).response.status).toBe(200);
    }

    const asked = await shopper.POST("/api/v1/store/orders/{id}/returns", { params: { path: { id: orderId } }, body: { lines: [{ variantId: cheap.id, quantity: 1 }], exchange: [{ variantId: dear.id, quantity: 1 }] } });
    expect(asked.response.status).toBe(201);
    const ret = asked.data!;
    const due = ret.exchange!.amount.amount - ret.returnedAmount.amount;
    expect(due).toBeGreaterThan(0);
    expect(ret).toMatchObject({ refundAmount: { amount: 0 }, difference: { amount: { amount: due }, status: "due" } });
    const early = await admin.POST("/api/v1/admin/returns/{id}/approve", { params: { path: { id: ret.id } } });
    expect(early.response.status).toBe(409);

    const declined = await shopper.POST("/api/v1/store/returns/{id}/payment", { params: { path: { id: ret.id } }, body: { token: "tok_decline" } });
    expect(declined.response.status).toBe(402);
    const paid = await shopper.POST("/api/v1/store/returns/{id}/payment", { params: { path: { id: ret.id } }, body: { token: "tok_success" } });
    expect(paid.response.status).toBe(200);
    expect(paid.data!.difference).toEqual({ amount: { amount: due, currency: ret.difference!.amount.currency }, status: "paid" });

    const stockBefore = (await admin.GET("/api/v1/admin/inventory/{variantId}", { params: { path: { variantId: dear.id } } })).data!;
    expect((await admin.POST("/api/v1/admin/returns/{id}/approve", { params: { path: { id: ret.id } } })).response.status).toBe(200);
    const received = await admin.POST("/api/v1/admin/returns/{id}/receive", { params: { path: { id: ret.id } }, body: { restock: true } });
    expect(received.data).toMatchObject({ status: "refunded", refunds: [], exchange: { orderId: expect.stringMatching(/^ord_/) } });
    const stockAfter = (await admin.GET("/api/v1/admin/inventory/{variantId}", { params: { path: { variantId: dear.id } } })).data!;
    expect(stockAfter.onHand).toBe(stockBefore.onHand - 1);
    const exchangeOrder = await shopper.GET("/api/v1/store/orders/{id}", { params: { path: { id: received.data!.exchange!.orderId! } } });
    expect(exchangeOrder.data!.lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity }))).toEqual([{ variantId: dear.id, quantity: 1 }]);
  });
});

describe("gift cards (black box)", () => {
  it("spends a card across two orders to exactly zero", async () => {
    const admin = await adminClient();
    const variant = await firstInStockVariant(5);
    const shopper = api({ token: (await newCustomer("card-holder")).token });
    await shopper.POST("/api/v1/store/cart/items", { body: { variantId: variant.id, quantity: 1 } });
    // Each order ships (the same method, so the same total).
    const { cart } = await shipCart(shopper);
    const total = cart.totals.total.amount;
    // Enough for the first order and half of the second.
    const issued = await admin.POST("/api/v1/admin/gift-cards", { body: { amount: total + Math.floor(total / 2), currency: cart.totals.total.currency } });
    expect(issued.response.status).toBe(201);
    const code = issued.data!.code;

    const pay = async () => {
      await shipCart(shopper);
      const applied = await shopper.POST("/api/v1/store/cart/gift-cards", { body: { code } });
      expect(applied.response.status).toBe(200);
      const checkout = await shopper.POST("/api/v1/store/checkouts", { body: {}, params: { header: { "idempotency-key": crypto.randomUUID() } } });
      expect(checkout.response.status).toBe(201);
      const paid = await shopper.POST("/api/v1/store/checkouts/{id}/payment", { params: { path: { id: checkout.data!.id } }, body: { provider: "test", token: "tok_success" } });
      expect(paid.data!.state).toBe("COMPLETED");
      return checkout.data!.totals;
    };
    const first = await pay();
    expect(first).toMatchObject({ giftCard: { amount: total }, amountDue: { amount: 0 } });
    await shopper.POST("/api/v1/store/cart/items", { body: { variantId: variant.id, quantity: 1 } });
    const second = await pay();
    expect(second).toMatchObject({ giftCard: { amount: Math.floor(total / 2) }, amountDue: { amount: total - Math.floor(total / 2) } });

    const balance = await api().GET("/api/v1/store/gift-cards/{code}", { params: { path: { code } } });
    expect(balance.data!.balance.amount).toBe(0);
    const card = await admin.GET("/api/v1/admin/gift-cards/{id}", { params: { path: { id: issued.data!.id } } });
    expect(card.data).toMatchObject({ balance: { amount: 0 }, held: { amount: 0 } });
  });
});
