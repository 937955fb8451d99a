/**
 * Buying through GraphQL only, against `npm run dev`: register over REST, then browse, fill the
 * cart, check out and pay with GraphQL mutations, and find the order with a GraphQL query. A
 * repeated catalog page comes from the cache; a persisted query is a plain GET.
 */
import { createHash } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { newCustomer, rawFetch } from "./client";

/** GraphQL is not in the OpenAPI document, so these requests go around the typed SDK. */
async function http(method: "GET" | "POST", path: string, options: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const res = await rawFetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

async function gql(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await http("POST", "/graphql", { token, body: { query, variables } });
  expect(res.status).toBe(200);
  if (res.json.errors) throw new Error(`GraphQL errors: ${JSON.stringify(res.json.errors)}`);
  return { data: res.json.data, headers: res.headers };
}

const PAGE = `query Page($first: Int!) {
  products(first: $first) { edges { node { id slug title variants { id sku available price { amount currency } } } } pageInfo { hasNextPage endCursor } }
}`;

describe("shopping through GraphQL (black box)", () => {
  it("browses, adds to the cart, checks out, pays and sees the order — GraphQL only", async () => {
    const shopper = await newCustomer("gql-buyer");
    const page = await gql(PAGE, { first: 20 });
    expect(page.data.products.edges).toHaveLength(20);
    expect(page.data.products.pageInfo.hasNextPage).toBe(true);
    const variant = page.data.products.edges.flatMap((e: any) => e.node.variants).find((v: any) => v.available >= 2);

    const cart = await gql(`mutation($v: ID!) { addToCart(variantId: $v, quantity: 2) { id items { variantId quantity } totals { subtotal { amount } discount { amount } tax { amount } total { amount currency } } } }`, { v: variant.id }, shopper.token);
    expect(cart.data.addToCart.items).toEqual([{ variantId: variant.id, quantity: 2 }]);
    const totals = cart.data.addToCart.totals;
    expect(totals.subtotal.amount).toBe(variant.price.amount * 2);
    // US prices exclude tax: the total adds it to the goods after discounts (no shipping chosen yet).
    expect(totals.total.amount).toBe(totals.subtotal.amount - totals.discount.amount + totals.tax.amount);

    // The seed's goods ship: an address in the default region (US) and its first method.
    const address = { firstName: "Gql", lastName: "Buyer", line1: "1 Broadway", city: "New York", postalCode: "10004", province: "NY", countryCode: "US" };
    await gql(`mutation($a: AddressInput) { setShippingAddress(address: $a) { id } }`, { a: address }, shopper.token);
    const methods = await gql(`{ shippingMethods { id amount { amount currency } } }`, {}, shopper.token);
    const shipped = await gql(`mutation($m: ID!) { setShippingMethod(shippingMethodId: $m) { totals { shipping { amount } total { amount } } } }`, { m: methods.data.shippingMethods[0].id }, shopper.token);
    expect(shipped.data.setShippingMethod.totals.shipping.amount).toBe(methods.data.shippingMethods[0].amount.amount);

    const key = `e2e-${Date.now()}`;
    const checkout = await gql(`mutation($k: String!) { createCheckout(idempotencyKey: $k) { id state totals { total { amount } } } }`, { k: key }, shopper.token);
    expect(checkout.data.createCheckout.state).toBe("LOCKED");
    const replay = await gql(`mutation($k: String!) { createCheckout(idempotencyKey: $k) { id } }`, { k: key }, shopper.token);
    expect(replay.data.createCheckout.id).toBe(checkout.data.createCheckout.id);

    const paid = await gql(`mutation($id: ID!) { payCheckout(id: $id, token: "tok_success") { state orderId } }`, { id: checkout.data.createCheckout.id }, shopper.token);
    expect(paid.data.payCheckout).toMatchObject({ state: "COMPLETED", orderId: expect.any(String) });

    const orders = await gql(`{ orders(first: 5) { edges { node { id status lines { variantId quantity } totals { total { amount } } } } } }`, {}, shopper.token);
    const order = orders.data.orders.edges[0].node;
    expect(order).toMatchObject({ id: paid.data.payCheckout.orderId, lines: [{ variantId: variant.id, quantity: 2 }] });
    expect(order.totals.total.amount).toBe(checkout.data.createCheckout.totals.total.amount);

    const stranger = await newCustomer("gql-stranger");
    const peek = await http("POST", "/graphql", { token: stranger.token, body: { query: `{ order(id: "${order.id}") { id } }` } });
    expect(peek.json.data.order).toBeNull();
    expect(peek.json.errors[0].extensions.code).toBe("NOT_FOUND");
  });

  it("serves a repeated anonymous page from the cache and a persisted query as a GET", async () => {
    await gql(PAGE, { first: 5 });
    const again = await gql(PAGE, { first: 5 });
    expect(again.headers.get("X-Cache")).toMatch(/^HIT-/);

    const query = "query Regions { regions { code currency } }";
    const hash = createHash("sha256").update(query).digest("hex");
    const extensions = encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }));
    const first = await http("GET", `/graphql?extensions=${extensions}`);
    expect(first.json.errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    await http("POST", "/graphql", { body: { query, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } } });
    const get = await http("GET", `/graphql?extensions=${extensions}`);
    expect(get.status).toBe(200);
    expect(get.json.data.regions[0].currency).toBe("USD");
    expect(get.headers.get("Cache-Control")).toContain("public");
  });

  it("serves the explorer to a browser without loading anything from another origin", async () => {
    const res = await fetch(`${inject("baseUrl")}/graphql`, { headers: { Accept: "text/html" } });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("Edgeshop GraphQL");
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });
});
