import { describe, expect, it } from "vitest";
import { call, expectErrorEnvelope } from "../helpers";
import { adminToken, createCategory, createCollection, createProduct, unique } from "../factories/catalog";

describe("/api/v1/admin/categories", () => {
  it("creates with a slug from the name, reads with ETag, renames, soft-deletes and restores", async () => {
    const token = await adminToken();
    const name = unique("Garden Tools");
    const created = await createCategory({ name });
    expect(created).toMatchObject({ slug: name.toLowerCase().replace(/ /g, "-"), version: 1, parentId: null, deletedAt: null });
    const read = await call("GET", `/api/v1/admin/categories/${created.id}`, { token });
    expect(read.headers.get("ETag")).toBe('"1"');
    const renamed = await call("PATCH", `/api/v1/admin/categories/${created.id}`, { token, headers: { "If-Match": '"1"' }, body: { name: "Renamed" } });
    expect(renamed.json).toMatchObject({ name: "Renamed", version: 2 });
    const stale = await call("PATCH", `/api/v1/admin/categories/${created.id}`, { token, headers: { "If-Match": '"1"' }, body: { name: "Again" } });
    expect(stale.status).toBe(409);
    expectErrorEnvelope(stale, "VERSION_CONFLICT");
    expect((await call("DELETE", `/api/v1/admin/categories/${created.id}`, { token })).status).toBe(204);
    const listed = await call("GET", "/api/v1/admin/categories", { token });
    expect(listed.json.data.map((c: any) => c.id)).not.toContain(created.id);
    const restored = await call("POST", `/api/v1/admin/categories/${created.id}/restore`, { token });
    expect(restored.json.deletedAt).toBeNull();
  });

  it("refuses to move a category under its own descendant", async () => {
    const token = await adminToken();
    const root = await createCategory();
    const child = await createCategory({ parentId: root.id });
    const res = await call("PATCH", `/api/v1/admin/categories/${root.id}`, { token, body: { parentId: child.id } });
    expect(res.status).toBe(422);
  });

  it("answers 409 for a taken slug", async () => {
    const first = await createCategory();
    const res = await call("POST", "/api/v1/admin/categories", { token: await adminToken(), body: { name: "x", slug: first.slug } });
    expect(res.status).toBe(409);
    expectErrorEnvelope(res, "CONFLICT");
  });
});

describe("/api/v1/admin/collections", () => {
  it("adds and removes products, and the store's collection filter follows", async () => {
    const token = await adminToken();
    const collection = await createCollection();
    const [a, b] = [await createProduct(), await createProduct()];
    const added = await call("POST", `/api/v1/admin/collections/${collection.id}/products`, { token, body: { productIds: [a.id, b.id, a.id] } });
    expect(added.status).toBe(200);
    expect(added.json.productIds).toEqual([a.id, b.id]);
    expect((await call("DELETE", `/api/v1/admin/collections/${collection.id}/products/${a.id}`, { token })).status).toBe(204);
    const store = await call("GET", `/api/v1/store/products?collection=${collection.slug}`);
    expect(store.json.data.map((p: any) => p.id)).toEqual([b.id]);
  });

  it("answers 422 when adding an unknown product and 404 for an unknown collection", async () => {
    const token = await adminToken();
    const collection = await createCollection();
    const bad = await call("POST", `/api/v1/admin/collections/${collection.id}/products`, { token, body: { productIds: ["prod_nope"] } });
    expect(bad.status).toBe(422);
    const missing = await call("POST", "/api/v1/admin/collections/col_nope/products", { token, body: { productIds: ["prod_nope"] } });
    expect(missing.status).toBe(404);
  });

  it("updates, soft-deletes (gone from the store) and restores", async () => {
    const token = await adminToken();
    const collection = await createCollection();
    const patched = await call("PATCH", `/api/v1/admin/collections/${collection.id}`, { token, body: { title: "Winter" } });
    expect(patched.json).toMatchObject({ title: "Winter", version: 2 });
    await call("DELETE", `/api/v1/admin/collections/${collection.id}`, { token });
    const store = await call("GET", "/api/v1/store/collections");
    expect(store.json.data.map((c: any) => c.id)).not.toContain(collection.id);
    expect((await call("POST", `/api/v1/admin/collections/${collection.id}/restore`, { token })).status).toBe(200);
  });
});
