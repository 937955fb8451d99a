/**
 * Invariant: a storefront page costs the same number of D1 statements whatever its size — the
 * product list, then one statement per kind of thing its products load (reviews, related
 * products, category best sellers, the recommended products themselves) — never one per product.
 * The batched reads answer exactly what the one-product REST routes answer, through indexes.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { newId } from "../../src/lib/ids";
import { PRODUCTS_BY_IDS_SQL } from "../../src/modules/catalog/repo";
import { BEST_SELLERS_FOR_CATEGORIES_SQL, RELATED_FOR_PRODUCTS_SQL } from "../../src/modules/recommendations/repo";
import { recordCoPurchases } from "../../src/modules/recommendations/service";
import { APPROVED_FOR_PRODUCTS_SQL } from "../../src/modules/reviews/repo";
import { createCategory, createOrder, createProduct, createUser } from "../factories/reviews";
import { BASE, call, graphql } from "../helpers";

const PAGE = `query Page($first: Int!, $category: String) {
  products(first: $first, category: $category) { edges { node {
    id title category { id name } variants { id sku price { amount currency } available }
    priceRange { min { amount } max { amount } } rating { average count }
    reviews(first: 3) { id rating author { name } }
    recommendations(first: 4) { id title variants { id price { amount } } }
  } } }
}`;

type Made = { id: string; variantId: string };
let categoryId: string;
let products: Made[];

async function approvedReview(productId: string, customerId: string, rating: number, at: number) {
  await env.DB.prepare(
    `INSERT INTO reviews (id, product_id, customer_id, rating, title, body, status, verified_purchase, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'Title', 'Body', 'approved', 1, ?, ?)`,
  )
    .bind(newId("rev"), productId, customerId, rating, at, at)
    .run();
}

beforeAll(async () => {
  categoryId = await createCategory();
  products = [];
  for (let i = 0; i < 55; i++) products.push(await createProduct({ categoryId, price: 1000 + i }));
  const buyer = await createUser();
  // Best sellers of the category (every product's fill) and a few bought-together pairs.
  for (const [a, b] of [[0, 1], [0, 2], [3, 1], [54, 53]] as const) {
    await recordCoPurchases(env, await createOrder(buyer, [{ productId: products[a]!.id, variantId: products[a]!.variantId }, { productId: products[b]!.id, variantId: products[b]!.variantId, quantity: a + 1 }]));
  }
  for (let i = 0; i < 4; i++) await approvedReview(products[54 - i]!.id, buyer, 5 - i, Date.now() - i * 1000);
});

/** Runs a query with a D1 binding that counts every statement prepared (directly or in a session). */
async function countStatements(query: string, variables: Record<string, unknown>) {
  let statements = 0;
  const count = <T extends D1Database | D1DatabaseSession>(db: T): T =>
    new Proxy(db, {
      get(target, prop) {
        if (prop === "prepare") return (sql: string) => ((statements += 1), target.prepare(sql));
        if (prop === "withSession") return (constraint?: string) => count((target as D1Database).withSession(constraint));
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const ctx = createExecutionContext();
  // CACHE_MODE none: every read goes to D1, so nothing a previous query cached hides a statement.
  const res = await createApp().fetch(
    new Request(`${BASE}/graphql`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ query, variables }) }),
    { ...env, DB: count(env.DB), CACHE_MODE: "none" },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { statements, json: (await res.json()) as any };
}

describe("batching per request", () => {
  it("costs the same number of D1 statements for a page of 5 and a page of 50", async () => {
    const small = await countStatements(PAGE, { first: 5, category: categoryId });
    const large = await countStatements(PAGE, { first: 50, category: categoryId });
    expect(small.json.errors).toBeUndefined();
    expect(large.json.errors).toBeUndefined();
    const edges = (r: typeof small) => r.json.data.products.edges.map((e: any) => e.node);
    expect(edges(small)).toHaveLength(5);
    expect(edges(large)).toHaveLength(50);
    expect(edges(large).every((p: any) => p.recommendations.length > 0)).toBe(true);
    expect(edges(large).some((p: any) => p.reviews.length > 0)).toBe(true);
    console.log(`D1 statements: first 5 → ${small.statements}, first 50 → ${large.statements}`);
    // market configuration (regions, tax rates, shipping methods: one batch of 3, cached in every
    // mode but "none") + list + reviews + related + best sellers + recommended products
    expect(small.statements).toBe(8);
    expect(large.statements).toBe(small.statements);
  });

  it("recommends exactly what the one-product REST route recommends, for every product on a page", async () => {
    const res = await graphql(`query($c: String) { products(first: 50, category: $c) { edges { node { id recommendations(first: 4) { id } reviews(first: 2) { id rating } } } } }`, {
      variables: { c: categoryId },
    });
    const nodes = res.json.data.products.edges.map((e: any) => e.node);
    for (const node of nodes.filter((_: unknown, i: number) => i % 7 === 0 || i < 3 || i > 46)) {
      const rest = await call("GET", `/api/v1/store/products/${node.id}/recommendations?limit=4`);
      expect(node.recommendations.map((p: { id: string }) => p.id), node.id).toEqual(rest.json.data.map((p: { id: string }) => p.id));
      const reviews = await call("GET", `/api/v1/store/products/${node.id}/reviews?limit=2`);
      expect(node.reviews, node.id).toEqual(reviews.json.data.map((r: { id: string; rating: number }) => ({ id: r.id, rating: r.rating })));
    }
  });

  it("reads the batches through indexes, never scanning products, reviews or scores", async () => {
    const FULL_SCAN = /^SCAN (products|product_variants|reviews|product_affinity|order_items|pv|p|r|a|src)\b/;
    const plans: [string, unknown[]][] = [
      [PRODUCTS_BY_IDS_SQL, ["EUR", "de", '["prod_a","prod_b"]']],
      [APPROVED_FOR_PRODUCTS_SQL, ['["prod_a","prod_b"]', 3]],
      [RELATED_FOR_PRODUCTS_SQL, ['["prod_a","prod_b"]', 4]],
      [BEST_SELLERS_FOR_CATEGORIES_SQL, ['["cat_a"]', 0, 5]],
    ];
    for (const [sql, params] of plans) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
      const details = plan.results.map((r) => r.detail);
      expect(details.filter((d) => FULL_SCAN.test(d)), details.join(" | ")).toEqual([]);
    }
  });
});
