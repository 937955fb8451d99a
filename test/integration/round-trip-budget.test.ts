/**
 * The round-trip budget of each shopper route (issue 12, docs/performance.md): counted inside
 * workerd by wrapping D1 and the InventoryDO namespace for one request (test/round-trips.ts). A
 * far shopper pays one round trip to the D1 primary for each sequential D1 call before the answer,
 * so each route fails here, by name, when it makes more than its budget. What runs after the
 * answer (waitUntil) is counted apart. `--silent false` prints the table.
 */
import { env } from "cloudflare:test";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { applyCard, balanceLedger, issueGiftCard, quickAdmin, quickCustomer } from "../factories/after-purchase";
import { addToCart, clearInventoryAlarms, createProduct, startCheckout } from "../factories/commerce";
import { createDiscount } from "../factories/pricing";
import { call, callWith, type CallOptions } from "../helpers";
import { countingEnv, type TripCount } from "../round-trips";

afterEach(() => clearInventoryAlarms());

const table: Record<string, { answer: TripCount; after: TripCount }> = {};

/** One request through counting bindings: what it cost before its answer, and after it (waitUntil). */
async function measure(route: string, method: string, path: string, options: CallOptions = {}) {
  const { env: counting, count } = countingEnv({ ...env, RATE_LIMIT_ENABLED: "false" } as Env);
  let answer: TripCount | null = null;
  const res = await callWith(counting, method, path, options, () => (answer = { ...count }));
  const before = answer!;
  const after = Object.fromEntries(Object.entries(count).map(([k, v]) => [k, v - before[k as keyof TripCount]])) as TripCount;
  table[route] = { answer: before, after };
  return { res, trips: before };
}

/** The route's sequential D1 round trips before its answer stay within `budget`. */
function withinBudget(route: string, trips: TripCount, budget: number) {
  expect(trips.d1Sequential, `${route}: sequential D1 round trips`).toBeLessThanOrEqual(budget);
}

let product: { productId: string; variants: { id: string }[] };
let code: string;

beforeAll(async () => {
  product = await createProduct({ variants: [{ price: 1200, stock: 500 }, { price: 800, stock: 500 }] });
  code = (await createDiscount({ kind: "percentage", value: 10, usageLimit: 1000 })).code!;
});

/** A customer whose cart holds both variants and the code. */
async function shopperWithCart() {
  const shopper = await quickCustomer();
  await addToCart(shopper.token, product.variants[0]!.id, 1);
  await addToCart(shopper.token, product.variants[1]!.id, 2);
  expect((await call("POST", "/api/v1/store/cart/discounts", { token: shopper.token, body: { code } })).status).toBe(200);
  return shopper;
}

describe("round-trip budget per route", () => {
  it("store reads: a cold page at most 1, a cached one 0", async () => {
    // Warm the market configuration (read through the same cache, once per catalog generation).
    await call("GET", "/api/v1/store/categories");
    withinBudget("GET /store/products (cold)", (await measure("GET /store/products (cold)", "GET", "/api/v1/store/products?limit=20")).trips, 1);
    withinBudget("GET /store/products (cached)", (await measure("GET /store/products (cached)", "GET", "/api/v1/store/products?limit=20")).trips, 0);
    withinBudget("GET /store/products/:id (cold)", (await measure("GET /store/products/:id (cold)", "GET", `/api/v1/store/products/${product.productId}`)).trips, 1);
    withinBudget("GET /store/products/:id (cached)", (await measure("GET /store/products/:id (cached)", "GET", `/api/v1/store/products/${product.productId}`)).trips, 0);
  });

  it("the first store read after an admin catalog write: 1 (the market configuration stays cached); after a market write: 2", async () => {
    const admin = await quickAdmin();
    await call("GET", "/api/v1/store/categories");
    const stamp = Date.now();
    expect((await call("POST", "/api/v1/admin/categories", { token: admin.token, body: { name: `Trips ${stamp}`, slug: `trips-${stamp}` } })).status).toBe(201);
    withinBudget("GET /store/products (after a catalog write)", (await measure("GET /store/products (after a catalog write)", "GET", "/api/v1/store/products?limit=7")).trips, 1);
    // A market write renews the configuration too: its first read loads both.
    const rate = await call("POST", "/api/v1/admin/tax-rates", { token: admin.token, body: { countryCode: "IS", taxCategory: "standard", rateBps: 2400, name: `Trips ${stamp}` } });
    expect(rate.status).toBe(201);
    const { trips } = await measure("GET /store/products (after a market write)", "GET", "/api/v1/store/products?limit=7");
    expect(trips.d1Sequential, "the market configuration is read again after a market write").toBe(2);
  });

  it("GET /store/cart: 1", async () => {
    const shopper = await shopperWithCart();
    const { res, trips } = await measure("GET /store/cart", "GET", "/api/v1/store/cart", { token: shopper.token });
    expect(res.json.items).toHaveLength(2);
    expect(res.json.discounts).toHaveLength(1);
    withinBudget("GET /store/cart", trips, 1);
  });

  it("POST /store/cart/items: at most 2", async () => {
    const shopper = await shopperWithCart();
    const { res, trips } = await measure("POST /store/cart/items", "POST", "/api/v1/store/cart/items", { token: shopper.token, body: { variantId: product.variants[0]!.id, quantity: 1 } });
    expect(res.status).toBe(201);
    expect(res.json.items[0].quantity).toBe(2);
    withinBudget("POST /store/cart/items", trips, 2);
  });

  it("PATCH and DELETE /store/cart/items/:id: at most 2 each", async () => {
    const shopper = await shopperWithCart();
    const items = (await call("GET", "/api/v1/store/cart", { token: shopper.token })).json.items;
    const patched = await measure("PATCH /store/cart/items/:id", "PATCH", `/api/v1/store/cart/items/${items[1].id}`, { token: shopper.token, body: { quantity: 3 } });
    expect(patched.res.json.items[1].quantity).toBe(3);
    withinBudget("PATCH /store/cart/items/:id", patched.trips, 2);
    const removed = await measure("DELETE /store/cart/items/:id", "DELETE", `/api/v1/store/cart/items/${items[0].id}`, { token: shopper.token });
    expect(removed.res.json.items).toHaveLength(1);
    withinBudget("DELETE /store/cart/items/:id", removed.trips, 2);
  });

  it("POST and DELETE /store/cart/discounts: at most 2 each", async () => {
    const shopper = await quickCustomer();
    await addToCart(shopper.token, product.variants[0]!.id, 1);
    const added = await measure("POST /store/cart/discounts", "POST", "/api/v1/store/cart/discounts", { token: shopper.token, body: { code } });
    expect(added.res.json.discounts).toHaveLength(1);
    withinBudget("POST /store/cart/discounts", added.trips, 2);
    const removed = await measure("DELETE /store/cart/discounts/:code", "DELETE", `/api/v1/store/cart/discounts/${code}`, { token: shopper.token });
    expect(removed.res.json.discounts).toHaveLength(0);
    withinBudget("DELETE /store/cart/discounts/:code", removed.trips, 2);
  });

  it("POST /store/cart/gift-cards: at most 2", async () => {
    const shopper = await quickCustomer();
    await addToCart(shopper.token, product.variants[0]!.id, 1);
    const card = await issueGiftCard((await quickAdmin()).token, 500);
    const { res, trips } = await measure("POST /store/cart/gift-cards", "POST", "/api/v1/store/cart/gift-cards", { token: shopper.token, body: { code: card.code } });
    expect(res.json.giftCards).toHaveLength(1);
    withinBudget("POST /store/cart/gift-cards", trips, 2);
  });

  it("POST /store/checkouts: at most 3 (2 when no checkout of the cart is open), and the InventoryDO reserves of all lines in one parallel phase", async () => {
    const shopper = await shopperWithCart();
    const { res, trips } = await measure("POST /store/checkouts", "POST", "/api/v1/store/checkouts", { token: shopper.token, headers: { "Idempotency-Key": `rt-${Date.now()}` } });
    expect(res.status).toBe(201);
    withinBudget("POST /store/checkouts", trips, 3);
    // The direct lock: the claim with the cart, then the LOCKED row with its answer.
    expect(trips.d1Sequential, "POST /store/checkouts (first of the cart): the direct lock").toBe(2);
    expect(trips.stockCalls, "POST /store/checkouts: one reserve per line").toBe(2);
    expect(trips.stockSequential, "POST /store/checkouts: reserves in parallel").toBe(1);
  });

  it("POST /store/checkouts again while the cart's last checkout is open: at most 3; the older one's holds go back in one phase before the reserves", async () => {
    const shopper = await shopperWithCart();
    const first = await startCheckout(shopper.token);
    expect(first.status).toBe(201);
    const route = "POST /store/checkouts (re-lock)";
    const { res, trips } = await measure(route, "POST", "/api/v1/store/checkouts", { token: shopper.token, headers: { "Idempotency-Key": `rt-again-${Date.now()}` } });
    expect(res.status).toBe(201);
    withinBudget(route, trips, 3);
    expect(trips.stockCalls, `${route}: a release and a reserve per line`).toBe(4);
    expect(trips.stockSequential, `${route}: releases in parallel, then reserves in parallel`).toBe(2);
    expect((await call("GET", `/api/v1/store/checkouts/${first.json.id}`, { token: shopper.token })).json.state).toBe("EXPIRED");
  });

  it("POST /store/checkouts/:id/payment: 2 before the answer (the claim, then one batch that records, confirms and places), and the commits of all lines in one parallel phase", async () => {
    const shopper = await shopperWithCart();
    const checkout = await startCheckout(shopper.token);
    expect(checkout.status).toBe(201);
    const { res, trips } = await measure("POST /store/checkouts/:id/payment", "POST", `/api/v1/store/checkouts/${checkout.json.id}/payment`, { token: shopper.token, body: { token: "tok_success" } });
    expect(res.json.state).toBe("COMPLETED");
    withinBudget("POST /store/checkouts/:id/payment", trips, 3);
    expect(trips.d1Sequential, "POST /store/checkouts/:id/payment: the claim, then pay-and-place in one batch").toBe(2);
    expect(trips.stockCalls, "POST /store/checkouts/:id/payment: one commit per line").toBe(2);
    expect(trips.stockSequential, "POST /store/checkouts/:id/payment: commits in parallel").toBe(1);
    // After the answer: order.placed and the COMPLETED mark (finalize resumes them if this never runs).
    expect((await call("GET", `/api/v1/store/checkouts/${checkout.json.id}`, { token: shopper.token })).json.state).toBe("COMPLETED");
  });
  it("POST /store/checkouts/:id/payment with a gift card paying part: the same 2 D1 trips, and the card captured", async () => {
    const shopper = await shopperWithCart();
    const card = await issueGiftCard((await quickAdmin()).token, 700);
    expect((await applyCard(shopper.token, card.code)).status).toBe(200);
    const checkout = await startCheckout(shopper.token);
    expect(checkout.status).toBe(201);
    const route = "POST /store/checkouts/:id/payment (gift card)";
    const { res, trips } = await measure(route, "POST", `/api/v1/store/checkouts/${checkout.json.id}/payment`, { token: shopper.token, body: { token: "tok_success" } });
    expect(res.json).toMatchObject({ state: "COMPLETED", giftCards: [{ amount: { amount: 700 } }] });
    expect(trips.d1Sequential, `${route}: the claim, then pay-and-place in one batch`).toBe(2);
    expect(trips.stockSequential, `${route}: commits in parallel`).toBe(1);
    expect((await balanceLedger(card.id)).account).toMatchObject({ balance: 0, held: 0 });
  });
  it("GraphQL payCheckout: the same budget as REST's payment route", async () => {
    const shopper = await shopperWithCart();
    const checkout = await startCheckout(shopper.token);
    const query = "mutation($id: ID!) { payCheckout(id: $id, token: \"tok_success\") { state orderId } }";
    const { res, trips } = await measure("POST /graphql payCheckout", "POST", "/graphql", { token: shopper.token, body: { query, variables: { id: checkout.json.id } } });
    expect(res.json.data.payCheckout).toMatchObject({ state: "COMPLETED", orderId: expect.stringMatching(/^ord_/) });
    withinBudget("POST /graphql payCheckout", trips, 3);
    expect(trips.d1Sequential, "POST /graphql payCheckout: the claim, then pay-and-place in one batch").toBe(2);
    expect(trips.stockSequential, "POST /graphql payCheckout: commits in parallel").toBe(1);
    expect((await call("GET", `/api/v1/store/checkouts/${checkout.json.id}`, { token: shopper.token })).json.state).toBe("COMPLETED");
  });
});

describe("X-D1-Trips and X-D1-Statements, the benchmarks' counters (D1_TRIPS_HEADER)", () => {
  it("counts each request's own trips, concurrent requests apart, and leaves the isolate's caches warm between requests", async () => {
    // One env for every request, as in a running isolate.
    const benchEnv = { ...env, D1_TRIPS_HEADER: "true", RATE_LIMIT_ENABLED: "false" } as Env;
    const path = `/api/v1/store/products/${product.productId}`;
    const cold = await callWith(benchEnv, "GET", path);
    expect(cold.status).toBe(200);
    const warm = await callWith(benchEnv, "GET", path);
    // Answered from this isolate's memory: a counter that gave each request a fresh env would
    // start every request with empty caches (a KV hit at best) and time what production never runs.
    expect(warm.headers.get("X-Cache")).toBe("HIT-MEMORY");
    expect(warm.headers.get("X-D1-Trips")).toBe("0");
    const shopper = await quickCustomer();
    const [added, read] = await Promise.all([
      callWith(benchEnv, "POST", "/api/v1/store/cart/items", { token: shopper.token, body: { variantId: product.variants[0]!.id, quantity: 1 } }),
      callWith(benchEnv, "GET", path),
    ]);
    expect(added.status).toBe(201);
    expect(added.headers.get("X-D1-Trips")).toBe("1");
    expect(read.headers.get("X-D1-Trips")).toBe("0");
    // The statements those trips ran, each one of a batch counted: the cart add's one trip is a
    // batch of many (the cart, its lines and every pricing input), the cached read ran none.
    expect(Number(added.headers.get("X-D1-Statements"))).toBeGreaterThan(5);
    expect(read.headers.get("X-D1-Statements")).toBe("0");
  });
});

afterAll(() => {
  const rows = Object.entries(table).map(([route, { answer: a, after: w }]) => `${route} | ${a.d1Calls} | ${a.d1Batches} | ${a.d1Sequential} | ${a.stockCalls}/${a.stockSequential} | ${w.d1Sequential}`);
  console.log(["route | D1 calls | batches | sequential | DO calls/phases | after answer", ...rows].join("\n"));
});
