/**
 * The GraphQL catalog answers with the REST catalog's data (same service, same cache layers):
 * products, pages and cursors, a product by id or slug, categories; anonymous catalog queries are
 * served from the catalog cache with X-Cache and ETag, and an admin write shows on the next read.
 */
import { describe, expect, it } from "vitest";
import { adminToken, createCategory, createProduct, unique } from "../factories/catalog";
import { call, errorCodes, graphql, registerCustomer } from "../helpers";

const PRODUCT_FIELDS = `id slug title description status taxRateBps taxCategory
  category { id slug name }
  variants { id sku title options { name value } price { amount currency } prices { amount currency } weightGrams requiresShipping available }
  priceRange { min { amount currency } max { amount currency } }
  rating { average count }`;

/** REST's product with its variant options in GraphQL's list shape. */
function asGraphQL(product: any) {
  return {
    ...product,
    variants: product.variants.map((v: any) => ({ ...v, options: Object.entries(v.options).map(([name, value]) => ({ name, value })) })),
  };
}

describe("POST /graphql: products", () => {
  it("answers a page with the same products, variants and prices as the REST list, and pages on with REST's cursor", async () => {
    const category = await createCategory();
    for (let i = 0; i < 3; i++) await createProduct({ categoryId: category.id, variants: [{ options: { Size: "M" }, price: 1200 + i }, { price: 900 }] });
    const rest = await call("GET", `/api/v1/store/products?category=${category.id}&limit=2`);
    const res = await graphql(`query($c: String) { products(first: 2, category: $c) { edges { cursor node { ${PRODUCT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`, {
      variables: { c: category.id },
    });
    expect(res.status).toBe(200);
    const connection = res.json.data.products;
    expect(connection.edges.map((e: any) => e.node)).toEqual(rest.json.data.map(asGraphQL));
    expect(connection.pageInfo).toEqual({ hasNextPage: true, endCursor: rest.json.nextCursor });

    const restNext = await call("GET", `/api/v1/store/products?category=${category.id}&limit=2&cursor=${rest.json.nextCursor}`);
    const next = await graphql(`query($c: String, $a: String) { products(first: 2, category: $c, after: $a) { edges { node { id } } pageInfo { hasNextPage } } }`, {
      variables: { c: category.id, a: connection.pageInfo.endCursor },
    });
    expect(next.json.data.products.edges.map((e: any) => e.node.id)).toEqual(restNext.json.data.map((p: any) => p.id));
    expect(next.json.data.products.pageInfo.hasNextPage).toBe(false);
    // Every edge's cursor continues right after it.
    const fromFirst = await graphql(`query($c: String, $a: String) { products(first: 1, category: $c, after: $a) { edges { node { id } } } }`, {
      variables: { c: category.id, a: connection.edges[0].cursor },
    });
    expect(fromFirst.json.data.products.edges[0].node.id).toBe(connection.edges[1].node.id);
  });

  it("searches and sorts with REST's arguments", async () => {
    const word = unique("lamp");
    const cheap = await createProduct({ title: `${word} small`, variants: [{ price: 500 }] });
    const dear = await createProduct({ title: `${word} large`, variants: [{ price: 5000 }] });
    const res = await graphql(`query($q: String) { products(q: $q, sort: price_desc) { edges { node { id } } } }`, { variables: { q: word } });
    expect(res.json.data.products.edges.map((e: any) => e.node.id)).toEqual([dear.id, cheap.id]);
  });

  it("serves a repeated anonymous catalog query from the cache, and an admin edit on the next read", async () => {
    const product = await createProduct();
    const query = `query($id: ID) { product(id: $id) { id title } }`;
    const first = await graphql(query, { variables: { id: product.id } });
    expect(first.headers.get("X-Cache")).toBe("MISS");
    expect(first.headers.get("Cache-Control")).toContain("public");
    const second = await graphql(query, { variables: { id: product.id } });
    expect(second.headers.get("X-Cache")).toBe("HIT-MEMORY");
    expect(second.json).toEqual(first.json);

    const edit = await call("PATCH", `/api/v1/admin/products/${product.id}`, {
      token: await adminToken(),
      headers: { "If-Match": `"${product.version}"` },
      body: { title: "Renamed lamp" },
    });
    expect(edit.status).toBe(200);
    const after = await graphql(query, { variables: { id: product.id } });
    expect(after.json.data.product.title).toBe("Renamed lamp");
  });

  it("answers a GET with an ETag and 304 when the client already has it", async () => {
    await createProduct();
    const query = "{ products(first: 1) { edges { node { id } } } }";
    const res = await graphql(query, { method: "GET" });
    expect(res.status).toBe(200);
    const etag = res.headers.get("ETag")!;
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    const again = await graphql(query, { method: "GET", headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
  });

  it("keeps answers that include the shopper's own data private and out of the cache", async () => {
    const shopper = await registerCustomer();
    const query = "{ products(first: 1) { edges { node { id } } } cart { id } }";
    const res = await graphql(query, { token: shopper.token });
    expect(res.json.data.cart.id).toMatch(/^cart_/);
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
    expect(res.headers.get("ETag")).toBeNull();
    // The catalog part still went through the catalog cache, and says how.
    expect(["MISS", "HIT-MEMORY", "HIT-KV"]).toContain(res.headers.get("X-Cache"));
  });
});

describe("POST /graphql: product, categories, regions", () => {
  it("finds a product by id or by slug, and answers null with NOT_FOUND for none", async () => {
    const product = await createProduct();
    const bySlug = await graphql(`{ product(slug: "${product.slug}") { id } }`);
    const byId = await graphql(`{ product(id: "${product.id}") { slug } }`);
    expect(bySlug.json.data.product.id).toBe(product.id);
    expect(byId.json.data.product.slug).toBe(product.slug);

    const query = `{ product(slug: "no-such-${unique()}") { id } }`;
    const missing = await graphql(query);
    expect(missing.status).toBe(200);
    expect(missing.json.data.product).toBeNull();
    expect(errorCodes(missing)).toEqual(["NOT_FOUND"]);
    expect(missing.json.errors[0].path).toEqual(["product"]);
    expect(missing.json.errors[0].extensions.requestId).toBe(missing.headers.get("X-Request-Id"));
    // The miss is cached like REST's 404, and the cached answer carries the new request's id.
    const again = await graphql(query);
    expect(again.headers.get("X-Cache")).toBe("HIT-MEMORY");
    expect(again.json.errors[0].extensions.requestId).toBe(again.headers.get("X-Request-Id"));
    expect(again.json.errors[0].extensions.requestId).not.toBe(missing.json.errors[0].extensions.requestId);
  });

  it("refuses product() with both id and slug, or neither, as VALIDATION_ERROR", async () => {
    expect(errorCodes(await graphql(`{ product { id } }`))).toEqual(["VALIDATION_ERROR"]);
    expect(errorCodes(await graphql(`{ product(id: "prod_x", slug: "x") { id } }`))).toEqual(["VALIDATION_ERROR"]);
  });

  it("answers the category tree as REST does, and a product's category with the tree's fields", async () => {
    const parent = await createCategory({ description: "Everything for the desk" });
    const child = await createCategory({ parentId: parent.id });
    const product = await createProduct({ categoryId: parent.id });
    const rest = await call("GET", "/api/v1/store/categories");
    const tree = await graphql("{ categories { id slug name description parentId position children { id slug name description parentId position children { id } } } }");
    const restParent = rest.json.data.find((c: any) => c.id === parent.id);
    const gqlParent = tree.json.data.categories.find((c: any) => c.id === parent.id);
    expect(gqlParent).toEqual({ ...restParent, children: [{ ...restParent.children[0], children: [] }] });
    expect(gqlParent.children[0].id).toBe(child.id);

    const res = await graphql(`{ product(id: "${product.id}") { category { id name description children { id } } } }`);
    expect(res.json.data.product.category).toEqual({ id: parent.id, name: parent.name, description: "Everything for the desk", children: [{ id: child.id }] });
  });

  it("lists collections and the store's regions", async () => {
    const res = await graphql("{ collections { id slug title } regions { code name currency countries taxInclusive } }");
    expect(res.status).toBe(200);
    expect(Array.isArray(res.json.data.collections)).toBe(true);
    expect(res.json.data.regions).toEqual([{ code: "default", name: "Default", currency: "USD", countries: [], taxInclusive: false }]);
  });
});
