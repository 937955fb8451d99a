import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectErrorEnvelope } from "../helpers";
import { adminToken, createCategory, createCollection, createProduct, unique } from "../factories/catalog";

const list = (query: string) => call("GET", `/api/v1/store/products?${query}`);
const ids = (res: { json: any }) => res.json.data.map((p: any) => p.id);

describe("GET /api/v1/store/products", () => {
  it("lists active products with variants, price range, stock and rating, newest first", async () => {
    const category = await createCategory();
    const older = await createProduct({ categoryId: category.id, variants: [{ price: 700, stock: 3 }, { price: 900, stock: 0 }] });
    const newer = await createProduct({ categoryId: category.id });
    await createProduct({ categoryId: category.id, status: "draft" });
    const res = await list(`category=${category.slug}`);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([newer.id, older.id]);
    expect(res.json.nextCursor).toBeNull();
    expect(res.json.data[1]).toMatchObject({
      slug: older.slug,
      status: "active",
      category: { id: category.id, slug: category.slug, name: category.name },
      priceRange: { min: { amount: 700, currency: "USD" }, max: { amount: 900, currency: "USD" } },
      rating: { average: null, count: 0 },
    });
    expect(res.json.data[1].variants.map((v: any) => [v.price.amount, v.available])).toEqual([[700, 3], [900, 0]]);
  });

  it("includes products of subcategories when filtering by a category", async () => {
    const parent = await createCategory();
    const child = await createCategory({ parentId: parent.id });
    const inParent = await createProduct({ categoryId: parent.id });
    const inChild = await createProduct({ categoryId: child.id });
    expect(ids(await list(`category=${parent.id}`)).sort()).toEqual([inParent.id, inChild.id].sort());
    expect(ids(await list(`category=${child.slug}`))).toEqual([inChild.id]);
  });

  it("filters by collection and by price, and sorts by price both ways", async () => {
    const collection = await createCollection();
    const products = [];
    for (const price of [3000, 1000, 2000]) products.push(await createProduct({ variants: [{ price }] }));
    await call("POST", `/api/v1/admin/collections/${collection.id}/products`, { token: await adminToken(), body: { productIds: products.map((p) => p.id) } });
    const asc = await list(`collection=${collection.slug}&sort=price_asc`);
    expect(asc.json.data.map((p: any) => p.priceRange.min.amount)).toEqual([1000, 2000, 3000]);
    const desc = await list(`collection=${collection.id}&sort=price_desc`);
    expect(desc.json.data.map((p: any) => p.priceRange.min.amount)).toEqual([3000, 2000, 1000]);
    const band = await list(`collection=${collection.id}&minPrice=1500&maxPrice=2500`);
    expect(band.json.data.map((p: any) => p.priceRange.min.amount)).toEqual([2000]);
  });

  it("finds products by words of the title, description or a SKU, best match first", async () => {
    const word = unique("zebra");
    const inTitle = await createProduct({ title: `The ${word} lamp`, description: `A ${word} for ${word} lovers` });
    const inDescription = await createProduct({ description: `Goes well with a ${word}` });
    const sku = `${unique("SK")}-RED-XL`.toUpperCase();
    const bySku = await createProduct({ variants: [{ sku }] });
    const res = await list(`q=${word}&sort=relevance`);
    expect(ids(res)).toEqual([inTitle.id, inDescription.id]);
    expect(ids(await list(`q=${encodeURIComponent(sku)}`))).toEqual([bySku.id]);
    // FTS5 syntax in shopper text is treated as words, never as operators (no 500s).
    expect(ids(await list(`q=${encodeURIComponent(`"${word}*(`)}`))).toContain(inTitle.id);
    expect((await list(`q=${encodeURIComponent('" OR NEAR( :')}`)).status).toBe(200);
  });

  it("pages with an opaque cursor that neither repeats nor skips while products are inserted", async () => {
    const category = await createCategory();
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await createProduct({ categoryId: category.id })).id);
    const first = await list(`category=${category.id}&limit=2`);
    expect(ids(first)).toEqual([made[4], made[3]]);
    await createProduct({ categoryId: category.id });
    const second = await list(`category=${category.id}&limit=2&cursor=${first.json.nextCursor}`);
    const third = await list(`category=${category.id}&limit=2&cursor=${second.json.nextCursor}`);
    expect([...ids(second), ...ids(third)]).toEqual([made[2], made[1], made[0]]);
    expect(third.json.nextCursor).toBeNull();
  });

  it("pages through price order with a cursor", async () => {
    const category = await createCategory();
    for (const price of [500, 100, 300, 300]) await createProduct({ categoryId: category.id, variants: [{ price }] });
    const seen: number[] = [];
    let cursor = "";
    do {
      const res = await list(`category=${category.id}&sort=price_asc&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...res.json.data.map((p: any) => p.priceRange.min.amount));
      cursor = res.json.nextCursor ?? "";
    } while (cursor);
    expect(seen).toEqual([100, 300, 300, 500]);
  });

  it("pages through search results by relevance without repeats", async () => {
    const word = unique("quokka");
    const made = [];
    for (const times of [1, 3, 2]) made.push((await createProduct({ description: Array(times).fill(word).join(" and ") })).id);
    const seen: string[] = [];
    let cursor = "";
    do {
      const res = await list(`q=${word}&sort=relevance&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...ids(res));
      cursor = res.json.nextCursor ?? "";
    } while (cursor);
    expect(seen).toHaveLength(3);
    expect(new Set(seen)).toEqual(new Set(made));
    expect(seen[0]).toBe(made[1]);
  });

  it("answers 422 for a limit out of range and 400 for a forged cursor", async () => {
    const tooMany = await list("limit=101");
    expect(tooMany.status).toBe(422);
    expectErrorEnvelope(tooMany, "VALIDATION_ERROR");
    expect((await list("limit=0")).status).toBe(422);
    expect((await list("cursor=not-a-cursor")).status).toBe(400);
  });

  it("reports stock as on_hand minus reserved, never below zero, and the average rating", async () => {
    const product = await createProduct({ variants: [{ stock: 5 }, { stock: 2 }] });
    await env.DB.batch([
      env.DB.prepare("UPDATE inventory_levels SET reserved = 2 WHERE variant_id = ?").bind(product.variants[0].id),
      env.DB.prepare("UPDATE inventory_levels SET reserved = 9 WHERE variant_id = ?").bind(product.variants[1].id),
      env.DB.prepare("INSERT INTO product_ratings (product_id, rating_count, rating_sum, updated_at) VALUES (?, 3, 13, 0)").bind(product.id),
    ]);
    const res = await call("GET", `/api/v1/store/products/${product.id}`);
    expect(res.json.variants.map((v: any) => v.available)).toEqual([3, 0]);
    expect(res.json.rating).toEqual({ average: 4.33, count: 3 });
  });
});

describe("GET /api/v1/store/products/:idOrSlug", () => {
  it("answers an active product by id and by slug", async () => {
    const product = await createProduct();
    const byId = await call("GET", `/api/v1/store/products/${product.id}`);
    const bySlug = await call("GET", `/api/v1/store/products/${product.slug}`);
    expect(byId.status).toBe(200);
    expect(bySlug.json).toEqual(byId.json);
    expect(byId.json).not.toHaveProperty("version");
  });

  it("answers 404 NOT_FOUND for draft, archived and unknown products", async () => {
    for (const status of ["draft", "archived"]) {
      const product = await createProduct({ status });
      const res = await call("GET", `/api/v1/store/products/${product.slug}`);
      expect(res.status).toBe(404);
      expectErrorEnvelope(res, "NOT_FOUND");
    }
    expect((await call("GET", "/api/v1/store/products/nope-nothing")).status).toBe(404);
  });
});

describe("GET /api/v1/store/categories", () => {
  it("answers the live categories as a tree", async () => {
    const root = await createCategory();
    const child = await createCategory({ parentId: root.id });
    const deleted = await createCategory({ parentId: root.id });
    await call("DELETE", `/api/v1/admin/categories/${deleted.id}`, { token: await adminToken() });
    const res = await call("GET", "/api/v1/store/categories");
    const node = res.json.data.find((c: any) => c.id === root.id);
    expect(node.children.map((c: any) => c.id)).toEqual([child.id]);
  });
});

describe("GET /api/v1/store/collections", () => {
  it("lists live collections", async () => {
    const collection = await createCollection({ description: "Summer" });
    const res = await call("GET", "/api/v1/store/collections");
    expect(res.json.data).toContainEqual({ id: collection.id, slug: collection.slug, title: collection.title, description: "Summer" });
  });
});
