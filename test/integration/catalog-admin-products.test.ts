import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectErrorEnvelope, registerCustomer } from "../helpers";
import { adminToken, createProduct, unique } from "../factories/catalog";

describe("POST /api/v1/admin/products", () => {
  it("creates a product with variants, stock rows, a slug from the title and version 1", async () => {
    const word = unique("lamp");
    const product = await createProduct({ title: `Desk ${word} Ünïcode`, variants: [{ price: 2500, stock: 4 }, { price: 1500, stock: 0 }] });
    expect(product.id).toMatch(/^prod_/);
    expect(product.slug).toBe(`desk-${word}-unicode`);
    expect(product.version).toBe(1);
    expect(product.priceRange).toEqual({ min: { amount: 1500, currency: "USD" }, max: { amount: 2500, currency: "USD" } });
    expect(product.variants.map((v: any) => v.available)).toEqual([4, 0]);
    const levels = await env.DB.prepare("SELECT on_hand, reserved, version FROM inventory_levels WHERE variant_id = ?").bind(product.variants[0].id).first();
    expect(levels).toEqual({ on_hand: 4, reserved: 0, version: 0 });
  });

  it("gives a second product with the same title a different slug", async () => {
    const title = unique("Twin");
    const a = await createProduct({ title });
    const b = await createProduct({ title });
    expect(a.slug).not.toBe(b.slug);
    expect(b.slug.startsWith(a.slug)).toBe(true);
  });

  it("answers 409 CONFLICT for a taken explicit slug or a duplicate SKU, writing nothing", async () => {
    const first = await createProduct();
    const token = await adminToken();
    const slugRes = await call("POST", "/api/v1/admin/products", { token, body: { title: "x", slug: first.slug, variants: [] } });
    expect(slugRes.status).toBe(409);
    expectErrorEnvelope(slugRes, "CONFLICT");
    const sku = first.variants[0].sku;
    const skuRes = await call("POST", "/api/v1/admin/products", { token, body: { title: unique("dup"), variants: [{ sku, title: "v", price: 1, stock: 1 }] } });
    expect(skuRes.status).toBe(409);
  });

  it("answers 422 for a non-integer price and for an unknown category", async () => {
    const token = await adminToken();
    const price = await call("POST", "/api/v1/admin/products", { token, body: { title: "x", variants: [{ sku: unique("S"), title: "v", price: 9.99, stock: 1 }] } });
    expect(price.status).toBe(422);
    const category = await call("POST", "/api/v1/admin/products", { token, body: { title: "x", categoryId: "cat_nope", variants: [] } });
    expect(category.status).toBe(422);
    expectErrorEnvelope(category, "VALIDATION_ERROR");
  });

  it("is forbidden to customers and needs credentials", async () => {
    const customer = await registerCustomer();
    expect((await call("POST", "/api/v1/admin/products", { token: customer.token, body: { title: "x" } })).status).toBe(403);
    expect((await call("POST", "/api/v1/admin/products", { body: { title: "x" } })).status).toBe(401);
  });
});

describe("PATCH /api/v1/admin/products/:id", () => {
  it("updates with the current If-Match and answers the new version as ETag", async () => {
    const product = await createProduct();
    const res = await call("PATCH", `/api/v1/admin/products/${product.id}`, { token: await adminToken(), headers: { "If-Match": '"1"' }, body: { title: "Renamed" } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ title: "Renamed", version: 2 });
    expect(res.headers.get("ETag")).toBe('"2"');
  });

  it("answers 428 PRECONDITION_REQUIRED without If-Match", async () => {
    const product = await createProduct();
    const res = await call("PATCH", `/api/v1/admin/products/${product.id}`, { token: await adminToken(), body: { title: "x" } });
    expect(res.status).toBe(428);
    expectErrorEnvelope(res, "PRECONDITION_REQUIRED");
  });

  it("answers 409 VERSION_CONFLICT with the current version when the edit is stale", async () => {
    const product = await createProduct();
    const token = await adminToken();
    await call("PATCH", `/api/v1/admin/products/${product.id}`, { token, headers: { "If-Match": '"1"' }, body: { title: "First" } });
    const res = await call("PATCH", `/api/v1/admin/products/${product.id}`, { token, headers: { "If-Match": '"1"' }, body: { title: "Second" } });
    expect(res.status).toBe(409);
    expectErrorEnvelope(res, "VERSION_CONFLICT");
    expect(res.json.error.details.currentVersion).toBe(2);
  });

  it("lets exactly one of two concurrent edits at the same version win", async () => {
    const product = await createProduct();
    const token = await adminToken();
    const edits = await Promise.all(
      ["A", "B"].map((title) => call("PATCH", `/api/v1/admin/products/${product.id}`, { token, headers: { "If-Match": '"1"' }, body: { title } })),
    );
    expect(edits.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it("answers 404 for an unknown product", async () => {
    const res = await call("PATCH", "/api/v1/admin/products/prod_nope", { token: await adminToken(), headers: { "If-Match": '"1"' }, body: { title: "x" } });
    expect(res.status).toBe(404);
  });
});

describe("DELETE /api/v1/admin/products/:id", () => {
  it("hides the product from the store at once, keeps its rows, and restore brings it back", async () => {
    const product = await createProduct();
    expect((await call("GET", `/api/v1/store/products/${product.slug}`)).status).toBe(200);
    const token = await adminToken();
    expect((await call("DELETE", `/api/v1/admin/products/${product.id}`, { token })).status).toBe(204);
    expect((await call("GET", `/api/v1/store/products/${product.slug}`)).status).toBe(404);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM product_variants WHERE product_id = ?").bind(product.id).first("n")).toBe(1);
    const admin = await call("GET", `/api/v1/admin/products/${product.id}`, { token });
    expect(admin.json.deletedAt).not.toBeNull();
    const listed = await call("GET", "/api/v1/admin/products?includeDeleted=true&limit=100", { token });
    expect(listed.json.data.map((p: any) => p.id)).toContain(product.id);
    const restored = await call("POST", `/api/v1/admin/products/${product.id}/restore`, { token });
    expect(restored.status).toBe(200);
    expect((await call("GET", `/api/v1/store/products/${product.slug}`)).status).toBe(200);
  });
});

describe("variants", () => {
  it("keep the product's price range right on add, update and delete", async () => {
    const product = await createProduct({ variants: [{ price: 1000 }] });
    const token = await adminToken();
    const added = await call("POST", `/api/v1/admin/products/${product.id}/variants`, { token, body: { sku: unique("S"), title: "Big", price: 3000, stock: 2 } });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ productId: product.id, version: 1, available: 2 });
    const patched = await call("PATCH", `/api/v1/admin/variants/${product.variants[0].id}`, { token, headers: { "If-Match": '"1"' }, body: { price: 500 } });
    expect(patched.status).toBe(200);
    expect(patched.json.version).toBe(2);
    let store = await call("GET", `/api/v1/store/products/${product.id}`);
    expect(store.json.priceRange).toEqual({ min: { amount: 500, currency: "USD" }, max: { amount: 3000, currency: "USD" } });
    expect((await call("DELETE", `/api/v1/admin/variants/${product.variants[0].id}`, { token })).status).toBe(204);
    store = await call("GET", `/api/v1/store/products/${product.id}`);
    expect(store.json.priceRange.min.amount).toBe(3000);
    expect(store.json.variants).toHaveLength(1);
  });

  it("need If-Match on PATCH and answer 409 with the current version when stale", async () => {
    const product = await createProduct();
    const token = await adminToken();
    const path = `/api/v1/admin/variants/${product.variants[0].id}`;
    expect((await call("PATCH", path, { token, body: { price: 1 } })).status).toBe(428);
    await call("PATCH", path, { token, headers: { "If-Match": '"1"' }, body: { price: 2 } });
    const stale = await call("PATCH", path, { token, headers: { "If-Match": '"1"' }, body: { price: 3 } });
    expect(stale.status).toBe(409);
    expect(stale.json.error.details.currentVersion).toBe(2);
  });
});

describe("GET /api/v1/admin/products", () => {
  it("filters by status, and an API key with catalog:read may list but not write", async () => {
    const token = await adminToken();
    const draft = await createProduct({ status: "draft" });
    const drafts = await call("GET", "/api/v1/admin/products?status=draft&limit=100", { token });
    expect(drafts.json.data.map((p: any) => p.id)).toContain(draft.id);
    expect(drafts.json.data.every((p: any) => p.status === "draft")).toBe(true);
    const key = (await call("POST", "/api/v1/admin/api-keys", { token, body: { name: "reader", scopes: ["catalog:read"] } })).json.key;
    expect((await call("GET", "/api/v1/admin/products", { apiKey: key })).status).toBe(200);
    const write = await call("POST", "/api/v1/admin/products", { apiKey: key, body: { title: "x", variants: [] } });
    expect(write.status).toBe(403);
  });
});
