/**
 * Invariant: each order adds exactly 1 to the score of every pair of distinct products in it,
 * in both directions, however often its order-events message is delivered.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { TOP_RELATED_SQL } from "../../src/modules/recommendations/repo";
import { recordCoPurchases } from "../../src/modules/recommendations/service";
import { onOrderPlaced } from "../../src/queues/order-events";
import { call, createAdmin } from "../helpers";
import { createCategory, createOrder, createProduct, createUser, scoreOf } from "../factories/reviews";

async function deliver(bodies: { id: string; body: unknown }[]) {
  const batch = createMessageBatch("order-events", bodies.map((b) => ({ id: b.id, timestamp: new Date(), attempts: 1, body: b.body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

const recsPath = (productId: string, query = "") => `/api/v1/store/products/${productId}/recommendations${query}`;
const line = (p: { id: string; variantId: string }, quantity = 1) => ({ productId: p.id, variantId: p.variantId, quantity });

/** Any admin catalog write starts a new catalog generation; a new category is the smallest one. */
async function bumpCatalogGeneration() {
  const admin = await createAdmin();
  const res = await call("POST", "/api/v1/admin/categories", { token: admin.token, body: { name: `Gen ${crypto.randomUUID()}` } });
  expect(res.status).toBe(201);
}

describe("order-events consumer", () => {
  it("adds 1 to the score of each pair of products in an order, in both directions", async () => {
    const [a, b, c] = await Promise.all([createProduct(), createProduct(), createProduct()]);
    const buyer = await createUser();
    // Two lines of the same product still make one pair with each other product.
    const orderId = await createOrder(buyer, [line(a!), line(b!), line(c!), { productId: a!.id, variantId: a!.variantId }], { status: "pending" });
    expect(await recordCoPurchases(env, orderId)).toEqual({ applied: true });
    for (const [x, y] of [[a, b], [b, a], [a, c], [c, a], [b, c], [c, b]] as const) expect(await scoreOf(x!.id, y!.id)).toBe(1);
    expect(await scoreOf(a!.id, a!.id)).toBe(0);
    const second = await createOrder(buyer, [line(a!), line(b!)], { status: "pending" });
    await recordCoPurchases(env, second);
    expect(await scoreOf(a!.id, b!.id)).toBe(2);
    expect(await scoreOf(a!.id, c!.id)).toBe(1);
  });

  it("leaves the same scores when the same message is delivered twice", async () => {
    const [a, b] = await Promise.all([createProduct(), createProduct()]);
    const orderId = await createOrder(await createUser(), [line(a!), line(b!)], { status: "pending" });
    const body = { type: "order.placed", orderId, requestId: "req-1" };
    const first = await deliver([{ id: "m1", body }, { id: "m2", body }]);
    const again = await deliver([{ id: "m3", body }]);
    expect(first.explicitAcks.sort()).toEqual(["m1", "m2"]);
    expect(again.explicitAcks).toEqual(["m3"]);
    expect(await scoreOf(a!.id, b!.id)).toBe(1);
    expect(await scoreOf(b!.id, a!.id)).toBe(1);
  });

  it("acks unknown event types without effect", async () => {
    const result = await deliver([{ id: "u", body: { type: "order.shipped", orderId: "ord_x" } }, { id: "v", body: "garbage" }]);
    expect(result.explicitAcks.sort()).toEqual(["u", "v"]);
    expect(result.retryMessages).toEqual([]);
  });

  it("runs the onOrderPlaced hooks and retries the message when one fails", async () => {
    const [a, b] = await Promise.all([createProduct(), createProduct()]);
    const orderId = await createOrder(await createUser(), [line(a!), line(b!)], { status: "pending" });
    const seen: string[] = [];
    let failures = 1;
    const hook = async (_env: Env, id: string, requestId: string | undefined) => {
      if (failures-- > 0) throw new Error("email fan-out down");
      seen.push(`${id}:${requestId}`);
    };
    onOrderPlaced.push(hook);
    try {
      const body = { type: "order.placed", orderId, requestId: "req-9" };
      const failed = await deliver([{ id: "r1", body }]);
      expect(failed.retryMessages.map((r) => r.msgId)).toEqual(["r1"]);
      const retried = await deliver([{ id: "r1", body }]);
      expect(retried.explicitAcks).toEqual(["r1"]);
    } finally {
      onOrderPlaced.splice(onOrderPlaced.indexOf(hook), 1);
    }
    expect(seen).toEqual([`${orderId}:req-9`]);
    expect(await scoreOf(a!.id, b!.id)).toBe(1);
  });
});

describe("GET /api/v1/store/products/:id/recommendations", () => {
  it("ranks products by co-purchase score and leaves out inactive, deleted and out-of-stock ones", async () => {
    const category = await createCategory();
    const base = await createProduct({ categoryId: category });
    const often = await createProduct({ categoryId: category, price: 500 });
    const once = await createProduct();
    const soldOut = await createProduct({ stock: 3, reserved: 3 });
    const draft = await createProduct({ status: "draft" });
    const deleted = await createProduct({ deleted: true });
    const buyer = await createUser();
    for (const extra of [[often, soldOut, draft, deleted], [often], [once]]) {
      await recordCoPurchases(env, await createOrder(buyer, [line(base), ...extra.map((p) => line(p))]));
    }
    const res = await call("GET", recsPath(base.id));
    expect(res.status).toBe(200);
    expect(res.json.data.map((p: { id: string }) => p.id)).toEqual([often.id, once.id]);
    expect(res.json.data[0]).toMatchObject({
      slug: expect.any(String),
      title: expect.any(String),
      score: 2,
      priceRange: { min: { amount: 500, currency: "USD" }, max: { amount: 500, currency: "USD" } },
    });
  });

  it("fills up with the category's best sellers, never the product itself and never twice", async () => {
    const category = await createCategory();
    const base = await createProduct({ categoryId: category });
    const related = await createProduct({ categoryId: category });
    const top = await createProduct({ categoryId: category });
    const second = await createProduct({ categoryId: category });
    const oldHit = await createProduct({ categoryId: category });
    const cancelledHit = await createProduct({ categoryId: category });
    const outOfStock = await createProduct({ categoryId: category, stock: 0 });
    const elsewhere = await createProduct();
    const buyer = await createUser();
    await recordCoPurchases(env, await createOrder(buyer, [line(base), line(related)]));
    await createOrder(buyer, [line(top, 5), line(related, 9), line(base, 50), line(outOfStock, 20), line(elsewhere, 30)]);
    await createOrder(buyer, [line(second, 2)]);
    await createOrder(buyer, [line(oldHit, 40)], { createdAt: Date.now() - 91 * 24 * 3600 * 1000 });
    await createOrder(buyer, [line(cancelledHit, 40)], { status: "cancelled" });
    await createOrder(buyer, [line(cancelledHit, 1)], { status: "refunded" });

    const res = await call("GET", recsPath(base.id, "?limit=5"));
    expect(res.status).toBe(200);
    expect(res.json.data.map((p: { id: string }) => p.id)).toEqual([related.id, top.id, second.id]);
    expect(res.json.data.map((p: { source: string }) => p.source)).toEqual(["co_purchase", "category_best_seller", "category_best_seller"]);
  });

  it("answers at most `limit` items, 422 beyond 20 and 404 for an unknown product", async () => {
    const category = await createCategory();
    const base = await createProduct({ categoryId: category });
    const others = await Promise.all(Array.from({ length: 3 }, () => createProduct({ categoryId: category })));
    await recordCoPurchases(env, await createOrder(await createUser(), [line(base), ...others.map((p) => line(p))]));
    expect((await call("GET", recsPath(base.id, "?limit=2"))).json.data).toHaveLength(2);
    expect((await call("GET", recsPath(base.id, "?limit=21"))).status).toBe(422);
    const missing = await call("GET", recsPath("prod_missing"));
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("NOT_FOUND");
  });

  it("serves a repeat from cache until the catalog generation changes", async () => {
    const base = await createProduct();
    const first = await createProduct();
    const buyer = await createUser();
    await recordCoPurchases(env, await createOrder(buyer, [line(base), line(first)]));
    const miss = await call("GET", recsPath(base.id));
    expect(miss.headers.get("X-Cache")).toBe("MISS");
    const later = await createProduct();
    await recordCoPurchases(env, await createOrder(buyer, [line(base), line(later)]));
    const hit = await call("GET", recsPath(base.id));
    expect(hit.headers.get("X-Cache")).toBe("HIT-MEMORY");
    expect(hit.json).toEqual(miss.json);
    await bumpCatalogGeneration();
    const fresh = await call("GET", recsPath(base.id));
    expect(fresh.headers.get("X-Cache")).toBe("MISS");
    expect(fresh.json.data.map((p: { id: string }) => p.id).sort()).toEqual([first.id, later.id].sort());
  });

  it("finds related products through the affinity score index", async () => {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${TOP_RELATED_SQL}`).bind("prod_x", 8, "EUR", "de").all<{ detail: string }>();
    const details = plan.results.map((r) => r.detail);
    expect(details[0]).toContain("product_affinity_score_idx");
    // The only scans allowed are of the one-row `market` CTE (currency and language of the answer).
    expect(details.filter((d) => d.startsWith("SCAN") && !/^SCAN (market|CONSTANT ROW)$/.test(d))).toEqual([]);
  });
});

describe("order-events consumer: cancelled and refunded orders (issue 11, item 9g)", () => {
  const statusChanged = (orderId: string, status: string) => ({ type: "order.status_changed", orderId, status, requestId: null });
  const placed = (orderId: string) => ({ type: "order.placed", orderId, requestId: "req-g" });

  it("item 9g: placed → scores up; cancelled → back; the cancel delivered twice subtracts once", async () => {
    const [a, b, c] = await Promise.all([createProduct(), createProduct(), createProduct()]);
    const buyer = await createUser();
    // Another order keeps a+b at 1: a cancellation takes back only its own order's share.
    const kept = await createOrder(buyer, [line(a!), line(b!)], { status: "pending" });
    const cancelled = await createOrder(buyer, [line(a!), line(b!), line(c!)], { status: "pending" });
    await deliver([{ id: "p1", body: placed(kept) }, { id: "p2", body: placed(cancelled) }]);
    expect([await scoreOf(a!.id, b!.id), await scoreOf(b!.id, a!.id), await scoreOf(a!.id, c!.id), await scoreOf(c!.id, b!.id)]).toEqual([2, 2, 1, 1]);

    const result = await deliver([{ id: "c1", body: statusChanged(cancelled, "cancelled") }, { id: "c2", body: statusChanged(cancelled, "cancelled") }]);
    expect(result.explicitAcks.sort()).toEqual(["c1", "c2"]);
    await deliver([{ id: "c3", body: statusChanged(cancelled, "cancelled") }]);
    expect([await scoreOf(a!.id, b!.id), await scoreOf(b!.id, a!.id), await scoreOf(a!.id, c!.id), await scoreOf(c!.id, b!.id)]).toEqual([1, 1, 0, 0]);
    // A pair no order holds any more is gone, so it is never recommended with score 0.
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM product_affinity WHERE product_id = ? OR related_product_id = ?").bind(c!.id, c!.id).first<{ n: number }>();
    expect(rows!.n).toBe(0);
    // The order's placed event delivered again (a late duplicate) does not add it back.
    await deliver([{ id: "p3", body: placed(cancelled) }]);
    expect(await scoreOf(a!.id, c!.id)).toBe(0);
  });

  it("item 9g: a cancel event processed before the placed one (out of order) leaves the scores at zero", async () => {
    const [a, b] = await Promise.all([createProduct(), createProduct()]);
    const orderId = await createOrder(await createUser(), [line(a!), line(b!)], { status: "cancelled" });
    await deliver([{ id: "early-cancel", body: statusChanged(orderId, "cancelled") }]);
    expect(await scoreOf(a!.id, b!.id)).toBe(0);
    await deliver([{ id: "late-placed", body: placed(orderId) }, { id: "late-placed-dup", body: placed(orderId) }]);
    await deliver([{ id: "cancel-again", body: statusChanged(orderId, "cancelled") }]);
    expect(await scoreOf(a!.id, b!.id)).toBe(0);
    expect(await scoreOf(b!.id, a!.id)).toBe(0);
  });

  it("item 9g: a refund gives the scores back too, and never takes a score below zero", async () => {
    const [a, b] = await Promise.all([createProduct(), createProduct()]);
    const orderId = await createOrder(await createUser(), [line(a!), line(b!)], { status: "delivered" });
    await deliver([{ id: "rp", body: placed(orderId) }]);
    expect(await scoreOf(a!.id, b!.id)).toBe(1);
    // Scores changed under the order meanwhile (e.g. trimmed by hand): the withdrawal stops at zero.
    await env.DB.prepare("UPDATE product_affinity SET score = 0 WHERE product_id = ? AND related_product_id = ?").bind(a!.id, b!.id).run();
    await deliver([{ id: "rr", body: statusChanged(orderId, "refunded") }]);
    expect(await scoreOf(a!.id, b!.id)).toBe(0);
    expect(await scoreOf(b!.id, a!.id)).toBe(0);
    const negative = await env.DB.prepare("SELECT COUNT(*) AS n FROM product_affinity WHERE score < 0").first<{ n: number }>();
    expect(negative!.n).toBe(0);
  });

  it("item 9g: other status changes leave the scores alone", async () => {
    const [a, b] = await Promise.all([createProduct(), createProduct()]);
    const orderId = await createOrder(await createUser(), [line(a!), line(b!)], { status: "shipped" });
    await deliver([{ id: "sp", body: placed(orderId) }]);
    const result = await deliver([{ id: "ss", body: statusChanged(orderId, "shipped") }]);
    expect(result.explicitAcks).toEqual(["ss"]);
    expect(await scoreOf(a!.id, b!.id)).toBe(1);
  });
});
