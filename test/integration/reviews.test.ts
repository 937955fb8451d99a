/**
 * Invariant: a product's rating is the sum and count of exactly its approved reviews — each
 * review counts once however often it is approved, and leaves the rating when rejected.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createAdmin, expectErrorEnvelope, registerCustomer } from "../helpers";
import { createOrder, createProduct, ratingOf } from "../factories/reviews";

const reviewsPath = (productId: string) => `/api/v1/store/products/${productId}/reviews`;
const goodReview = { rating: 4, title: "Solid mug", body: "Keeps coffee warm and feels sturdy." };

/** A customer who received the product, ready to review it. */
async function buyer(productId: string, variantId: string) {
  const customer = await registerCustomer("reviewer");
  await createOrder(customer.userId, [{ productId, variantId }]);
  return customer;
}

async function pendingReview(rating = 4) {
  const product = await createProduct();
  const customer = await buyer(product.id, product.variantId);
  const res = await call("POST", reviewsPath(product.id), { token: customer.token, body: { ...goodReview, rating } });
  expect(res.status).toBe(201);
  return { product, customer, review: res.json };
}

describe("POST /api/v1/store/products/:id/reviews", () => {
  it("accepts a review from a customer with a delivered order of the product, pending moderation", async () => {
    const { review, customer } = await pendingReview();
    expect(review).toMatchObject({ ...goodReview, status: "pending", verifiedPurchase: true, author: { name: "Test Customer" } });
    expect(JSON.stringify(review)).not.toContain(customer.email);
  });

  it("answers 403 FORBIDDEN to a customer without a purchase of the product", async () => {
    const product = await createProduct();
    const customer = await registerCustomer();
    const res = await call("POST", reviewsPath(product.id), { token: customer.token, body: goodReview });
    expect(res.status).toBe(403);
    expectErrorEnvelope(res, "FORBIDDEN");
  });

  it("answers 403 when the customer's order of the product is not delivered yet", async () => {
    const product = await createProduct();
    const customer = await registerCustomer();
    await createOrder(customer.userId, [{ productId: product.id, variantId: product.variantId }], { status: "shipped" });
    const res = await call("POST", reviewsPath(product.id), { token: customer.token, body: goodReview });
    expect(res.status).toBe(403);
  });

  it("answers 409 CONFLICT to a second review of the same product", async () => {
    const { product, customer } = await pendingReview();
    const res = await call("POST", reviewsPath(product.id), { token: customer.token, body: goodReview });
    expect(res.status).toBe(409);
    expectErrorEnvelope(res, "CONFLICT");
  });

  it("rejects empty text at once, and lets the customer write a proper review afterwards", async () => {
    const product = await createProduct();
    const customer = await buyer(product.id, product.variantId);
    const empty = await call("POST", reviewsPath(product.id), { token: customer.token, body: { rating: 1, title: "", body: "   " } });
    expect(empty.status).toBe(201);
    expect(empty.json).toMatchObject({ status: "rejected", moderationNote: expect.stringMatching(/no text/) });
    const retry = await call("POST", reviewsPath(product.id), { token: customer.token, body: goodReview });
    expect(retry.status).toBe(201);
    expect(retry.json).toMatchObject({ id: empty.json.id, status: "pending", rating: 4 });
  });

  it("rejects abusive text at once", async () => {
    const product = await createProduct();
    const customer = await buyer(product.id, product.variantId);
    const res = await call("POST", reviewsPath(product.id), { token: customer.token, body: { rating: 1, title: "meh", body: "This is sh1t, total f u c k up" } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: "rejected", moderationNote: expect.stringMatching(/abusive/) });
  });

  it("answers 404 for an unknown product, 401 without a token and 422 for a rating outside 1–5", async () => {
    const customer = await registerCustomer();
    const unknown = await call("POST", reviewsPath("prod_nope"), { token: customer.token, body: goodReview });
    expect(unknown.status).toBe(404);
    expectErrorEnvelope(unknown, "NOT_FOUND");
    const product = await createProduct();
    expect((await call("POST", reviewsPath(product.id), { body: goodReview })).status).toBe(401);
    const bad = await call("POST", reviewsPath(product.id), { token: customer.token, body: { ...goodReview, rating: 6 } });
    expect(bad.status).toBe(422);
    expect((await call("POST", reviewsPath(product.id), { token: customer.token, body: { ...goodReview, rating: 2.5 } })).status).toBe(422);
  });
});

describe("GET /api/v1/store/products/:id/reviews", () => {
  it("lists approved reviews only, so another customer's pending review stays hidden", async () => {
    const { product, review } = await pendingReview();
    const other = await buyer(product.id, product.variantId);
    const second = await call("POST", reviewsPath(product.id), { token: other.token, body: { ...goodReview, title: "Great" } });
    const admin = await createAdmin();
    await call("POST", `/api/v1/admin/reviews/${review.id}/approve`, { token: admin.token });

    const asOther = await call("GET", reviewsPath(product.id), { token: other.token });
    expect(asOther.status).toBe(200);
    expect(asOther.json.data.map((r: { id: string }) => r.id)).toEqual([review.id]);
    expect(asOther.json.data.map((r: { id: string }) => r.id)).not.toContain(second.json.id);
    expect(asOther.json.nextCursor).toBeNull();
    expect(asOther.text).not.toContain("@example.test");
  });

  it("pages through approved reviews with the cursor", async () => {
    const product = await createProduct();
    const admin = await createAdmin();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const customer = await buyer(product.id, product.variantId);
      const res = await call("POST", reviewsPath(product.id), { token: customer.token, body: goodReview });
      await call("POST", `/api/v1/admin/reviews/${res.json.id}/approve`, { token: admin.token });
      ids.push(res.json.id);
    }
    const first = await call("GET", `${reviewsPath(product.id)}?limit=2`);
    const second = await call("GET", `${reviewsPath(product.id)}?limit=2&cursor=${first.json.nextCursor}`);
    expect([...first.json.data, ...second.json.data].map((r: { id: string }) => r.id).sort()).toEqual(ids.sort());
    expect(second.json.nextCursor).toBeNull();
    expect((await call("GET", `${reviewsPath(product.id)}?cursor=garbage!`)).status).toBe(400);
  });

  it("answers 404 for an unknown product", async () => {
    const res = await call("GET", reviewsPath("prod_missing"));
    expect(res.status).toBe(404);
  });
});

describe("POST /api/v1/admin/reviews/:id/approve", () => {
  it("counts an approved review in the rating once, however often it is approved", async () => {
    const { product, review } = await pendingReview(5);
    const admin = await createAdmin();
    const first = await call("POST", `/api/v1/admin/reviews/${review.id}/approve`, { token: admin.token });
    expect(first.status).toBe(200);
    expect(first.json.status).toBe("approved");
    const again = await call("POST", `/api/v1/admin/reviews/${review.id}/approve`, { token: admin.token });
    expect(again.status).toBe(200);
    expect(await ratingOf(product.id)).toEqual({ count: 1, sum: 5 });
  });

  it("gives the product's rating average and count from its approved reviews", async () => {
    const { ratingSummaries } = await import("../../src/modules/reviews/service");
    const { product, review } = await pendingReview(5);
    const other = await buyer(product.id, product.variantId);
    const second = await call("POST", reviewsPath(product.id), { token: other.token, body: { ...goodReview, rating: 2 } });
    const admin = await createAdmin();
    expect((await ratingSummaries(env, [product.id])).get(product.id)).toEqual({ average: null, count: 0 });
    for (const id of [review.id, second.json.id]) await call("POST", `/api/v1/admin/reviews/${id}/approve`, { token: admin.token });
    expect((await ratingSummaries(env, [product.id])).get(product.id)).toEqual({ average: 3.5, count: 2 });
  });

  it("counts once when two approvals race", async () => {
    const { product, review } = await pendingReview(3);
    const admin = await createAdmin();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => call("POST", `/api/v1/admin/reviews/${review.id}/approve`, { token: admin.token })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(await ratingOf(product.id)).toEqual({ count: 1, sum: 3 });
  });

  it("answers 404 for an unknown review and 403 to customers", async () => {
    const admin = await createAdmin();
    expect((await call("POST", "/api/v1/admin/reviews/rev_nope/approve", { token: admin.token })).status).toBe(404);
    const { review, customer } = await pendingReview();
    const res = await call("POST", `/api/v1/admin/reviews/${review.id}/approve`, { token: customer.token });
    expect(res.status).toBe(403);
  });
});

describe("POST /api/v1/admin/reviews/:id/reject", () => {
  it("removes an approved review's rating once and keeps the reason", async () => {
    const { product, review } = await pendingReview(4);
    const admin = await createAdmin();
    await call("POST", `/api/v1/admin/reviews/${review.id}/approve`, { token: admin.token });
    const rejected = await call("POST", `/api/v1/admin/reviews/${review.id}/reject`, { token: admin.token, body: { reason: "Off topic" } });
    expect(rejected.status).toBe(200);
    expect(rejected.json).toMatchObject({ status: "rejected", moderationNote: "Off topic" });
    await call("POST", `/api/v1/admin/reviews/${review.id}/reject`, { token: admin.token });
    expect(await ratingOf(product.id)).toEqual({ count: 0, sum: 0 });
    expect((await call("GET", reviewsPath(product.id))).json.data).toEqual([]);
  });

  it("rejects a pending review without a body and without touching the rating", async () => {
    const { product, review } = await pendingReview();
    const admin = await createAdmin();
    const res = await call("POST", `/api/v1/admin/reviews/${review.id}/reject`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe("rejected");
    expect(await ratingOf(product.id)).toEqual({ count: 0, sum: 0 });
  });
});

describe("GET /api/v1/admin/reviews", () => {
  it("lists reviews by status for moderators, without emails", async () => {
    const { review } = await pendingReview();
    const admin = await createAdmin();
    const pending = await call("GET", "/api/v1/admin/reviews?status=pending&limit=100", { token: admin.token });
    expect(pending.status).toBe(200);
    expect(pending.json.data.map((r: { id: string }) => r.id)).toContain(review.id);
    expect(pending.json.data.every((r: { status: string }) => r.status === "pending")).toBe(true);
    expect(pending.text).not.toContain("@example.test");
    const approved = await call("GET", "/api/v1/admin/reviews?status=approved&limit=100", { token: admin.token });
    expect(approved.json.data.map((r: { id: string }) => r.id)).not.toContain(review.id);
  });

  it("lets an API key with reviews:read list reviews but not approve them", async () => {
    const { review } = await pendingReview();
    const admin = await createAdmin();
    const created = await call("POST", "/api/v1/admin/api-keys", { token: admin.token, body: { name: "moderation bot", scopes: ["reviews:read"] } });
    const apiKey = created.json.key as string;
    expect((await call("GET", "/api/v1/admin/reviews?status=pending", { apiKey })).status).toBe(200);
    const approve = await call("POST", `/api/v1/admin/reviews/${review.id}/approve`, { apiKey });
    expect(approve.status).toBe(403);
    expectErrorEnvelope(approve, "FORBIDDEN");
  });

  it("lists the pending reviews through the moderation index", async () => {
    const plan = await env.DB.prepare(
      "EXPLAIN QUERY PLAN SELECT r.* FROM reviews r JOIN users u ON u.id = r.customer_id WHERE r.status = 'pending' ORDER BY r.created_at DESC, r.id DESC LIMIT 20",
    ).all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join("\n")).toContain("reviews_status_idx");
  });
});

describe("review status transitions (repo)", () => {
  it("changes the rating only in the batch that makes the transition, even when the caller's read is stale", async () => {
    const { transition } = await import("../../src/modules/reviews/repo");
    const { product, review } = await pendingReview(2);
    const now = Date.now();
    expect(await transition(env.DB, review.id, "pending", "approved", null, now)).toBe(true);
    expect(await transition(env.DB, review.id, "pending", "approved", null, now)).toBe(false);
    expect(await ratingOf(product.id)).toEqual({ count: 1, sum: 2 });
    expect(await transition(env.DB, review.id, "approved", "rejected", "x", now)).toBe(true);
    expect(await transition(env.DB, review.id, "approved", "rejected", "x", now)).toBe(false);
    expect(await ratingOf(product.id)).toEqual({ count: 0, sum: 0 });
  });
});
