/**
 * Invariant: a customer can never reach another customer's cart item, checkout or order by id —
 * the answer is 404 NOT_FOUND, exactly as for an id that does not exist (no enumeration).
 *
 * OWNED_ROUTES drives the test. A case runs as soon as its route is in the app's route table, so
 * routes arriving from other branches are covered on merge; the guard below fails when a store
 * route with an id of an owned resource exists without a case here.
 *
 * GraphQL holds to the same: OWNED_FIELDS lists every root field that takes the id of a
 * customer's resource (a guard reads the schema for new ones), and another customer's id gives
 * null with NOT_FOUND, in the words an unknown id gets. Every field that needs a customer token
 * refuses an anonymous call and a bad token, whatever its arguments (read from the schema).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { getNamedType, isEnumType, isInputObjectType, isLeafType, isNonNullType, type GraphQLField, type GraphQLInputType } from "graphql";
import { createApp } from "../../src/app";
import { storefrontSchema } from "../../src/graphql/schema";
import { rulesOf } from "../../src/graphql/types";
import { createDiscount } from "../factories/pricing";
import { call, createAdmin, errorCodes, expectErrorEnvelope, graphql, registerCustomer } from "../helpers";

type Session = Awaited<ReturnType<typeof registerCustomer>>;
type OwnedRoute = {
  method: string;
  /** OpenAPI-style path; `{id}` is replaced by the owner's resource id. */
  path: string;
  /** Makes the resource as `owner` and returns its id. */
  create: (owner: Session) => Promise<string>;
  body?: unknown;
};

const STORE = "/api/v1/store";

/** Resource segments under /api/v1/store whose ids belong to one customer. */
const OWNED_SEGMENTS = ["cart", "checkouts", "orders", "reviews", "addresses", "returns", "wishlist"];

const OWNED_ROUTES: OwnedRoute[] = [
  { method: "PATCH", path: `${STORE}/cart/items/{id}`, create: (o) => cartItemOf(o), body: { quantity: 2 } },
  { method: "DELETE", path: `${STORE}/cart/items/{id}`, create: (o) => cartItemOf(o) },
  { method: "DELETE", path: `${STORE}/cart/discounts/{id}`, create: (o) => cartCodeOf(o) },
  { method: "GET", path: `${STORE}/checkouts/{id}`, create: (o) => checkoutOf(o) },
  { method: "POST", path: `${STORE}/checkouts/{id}/payment`, create: (o) => checkoutOf(o), body: { provider: "test", token: "tok_success" } },
  { method: "GET", path: `${STORE}/orders/{id}`, create: (o) => orderOf(o) },
  { method: "POST", path: `${STORE}/orders/{id}/cancel`, create: (o) => orderOf(o) },
  { method: "GET", path: `${STORE}/addresses/{id}`, create: (o) => addressOf(o) },
  { method: "PATCH", path: `${STORE}/addresses/{id}`, create: (o) => addressOf(o), body: { city: "Elsewhere" } },
  { method: "DELETE", path: `${STORE}/addresses/{id}`, create: (o) => addressOf(o) },
  { method: "POST", path: `${STORE}/orders/{id}/returns`, create: (o) => deliveredOrderOf(o), body: { lines: [{ variantId: "var_any", quantity: 1 }] } },
  { method: "GET", path: `${STORE}/returns/{id}`, create: (o) => returnOf(o) },
  { method: "POST", path: `${STORE}/returns/{id}/payment`, create: (o) => returnOf(o), body: { token: "tok_success" } },
  // A gift card on the owner's cart is not on the intruder's: removing it by its code is 404.
  { method: "DELETE", path: `${STORE}/cart/gift-cards/{id}`, create: (o) => cartGiftCardOf(o) },
  { method: "DELETE", path: `${STORE}/wishlist/items/{id}`, create: (o) => wishedVariantOf(o) },
];

// Factories over the API.md contract, so they work against whichever implementation is merged.
let adminToken: string;
let sku = 0;
async function activeVariant(): Promise<string> {
  adminToken ??= (await createAdmin()).token;
  sku += 1;
  const res = await call("POST", "/api/v1/admin/products", {
    token: adminToken,
    body: { title: `Owned ${sku}`, status: "active", variants: [{ sku: `OWN-${Date.now()}-${sku}`, title: "One", price: 1000, stock: 50, requiresShipping: false }] },
  });
  if (res.status !== 201) throw new Error(`product: ${res.status} ${res.text}`);
  return res.json.variants[0].id;
}
async function cartItemOf(owner: Session): Promise<string> {
  const res = await call("POST", `${STORE}/cart/items`, { token: owner.token, body: { variantId: await activeVariant(), quantity: 1 } });
  if (res.status !== 201) throw new Error(`cart item: ${res.status} ${res.text}`);
  return res.json.items.at(-1).id;
}
async function cartCodeOf(owner: Session): Promise<string> {
  await cartItemOf(owner);
  const { code } = await createDiscount({ kind: "cart_fixed", value: 100 });
  const res = await call("POST", `${STORE}/cart/discounts`, { token: owner.token, body: { code } });
  if (res.status !== 200) throw new Error(`cart code: ${res.status} ${res.text}`);
  return code!;
}
async function checkoutOf(owner: Session): Promise<string> {
  await cartItemOf(owner);
  const res = await call("POST", `${STORE}/checkouts`, { token: owner.token, headers: { "Idempotency-Key": crypto.randomUUID() } });
  if (res.status !== 201) throw new Error(`checkout: ${res.status} ${res.text}`);
  return res.json.id;
}
async function addressOf(owner: Session): Promise<string> {
  const body = { firstName: "Ada", lastName: "Owner", line1: "1 Private Road", city: "Berlin", postalCode: "10115", countryCode: "DE" };
  const res = await call("POST", `${STORE}/addresses`, { token: owner.token, body });
  if (res.status !== 201) throw new Error(`address: ${res.status} ${res.text}`);
  return res.json.id;
}
async function orderOf(owner: Session): Promise<string> {
  const checkoutId = await checkoutOf(owner);
  const res = await call("POST", `${STORE}/checkouts/${checkoutId}/payment`, { token: owner.token, body: { provider: "test", token: "tok_success" } });
  if (res.status !== 200) throw new Error(`payment: ${res.status} ${res.text}`);
  return res.json.orderId;
}

async function deliveredOrderOf(owner: Session): Promise<string> {
  const orderId = await orderOf(owner);
  for (const status of ["processing", "shipped", "delivered"]) {
    const res = await call("POST", `/api/v1/admin/orders/${orderId}/status`, { token: adminToken, body: { status } });
    if (res.status !== 200) throw new Error(`deliver: ${res.status} ${res.text}`);
  }
  return orderId;
}
async function returnOf(owner: Session): Promise<string> {
  const orderId = await deliveredOrderOf(owner);
  const order = await call("GET", `${STORE}/orders/${orderId}`, { token: owner.token });
  const res = await call("POST", `${STORE}/orders/${orderId}/returns`, { token: owner.token, body: { lines: [{ variantId: order.json.lines[0].variantId, quantity: 1 }] } });
  if (res.status !== 201) throw new Error(`return: ${res.status} ${res.text}`);
  return res.json.id;
}
async function cartGiftCardOf(owner: Session): Promise<string> {
  await cartItemOf(owner);
  const card = await call("POST", "/api/v1/admin/gift-cards", { token: adminToken, body: { amount: 100, currency: "USD" } });
  const res = await call("POST", `${STORE}/cart/gift-cards`, { token: owner.token, body: { code: card.json.code } });
  if (res.status !== 200) throw new Error(`cart gift card: ${res.status} ${res.text}`);
  return card.json.code;
}
async function wishedVariantOf(owner: Session): Promise<string> {
  const variantId = await activeVariant();
  const res = await call("POST", `${STORE}/wishlist/items`, { token: owner.token, body: { variantId } });
  if (res.status !== 200) throw new Error(`wishlist: ${res.status} ${res.text}`);
  return variantId;
}

/** `/a/:itemId/b` and `/a/{id}/b` both become `/a/{}/b`. */
const shape = (path: string) => path.replace(/:[A-Za-z0-9_]+(\{[^}]*\})?|\{[^}]+\}/g, "{}");
const registered = createApp().routes.filter((r) => r.method !== "ALL");
const registeredShapes = new Set(registered.map((r) => `${r.method} ${shape(r.path)}`));
const listedShapes = new Set(OWNED_ROUTES.map((r) => `${r.method} ${shape(r.path)}`));
const active = OWNED_ROUTES.filter((r) => registeredShapes.has(`${r.method} ${shape(r.path)}`));

describe("owned resources", () => {
  it("lists every store route that takes the id of a customer's resource", () => {
    const owned = registered
      .filter((r) => r.path.startsWith(`${STORE}/`) && /[:{]/.test(r.path))
      .filter((r) => OWNED_SEGMENTS.includes(r.path.slice(STORE.length + 1).split("/")[0]!))
      .map((r) => `${r.method} ${shape(r.path)}`);
    const missing = [...new Set(owned)].filter((route) => !listedShapes.has(route));
    expect(missing, "add these routes to OWNED_ROUTES").toEqual([]);
  });

  let owner: Session;
  let intruder: Session;
  beforeAll(async () => {
    if (active.length === 0) return;
    [owner, intruder] = [await registerCustomer("owner"), await registerCustomer("intruder")];
  });

  for (const route of active) {
    it(`${route.method} ${route.path} answers 404 NOT_FOUND for another customer's id, as for an unknown id`, async () => {
      const id = await route.create(owner);
      const res = await call(route.method, route.path.replace("{id}", id), { token: intruder.token, body: route.body });
      expect(res.status).toBe(404);
      expectErrorEnvelope(res, "NOT_FOUND");
      const unknown = await call(route.method, route.path.replace("{id}", `${id}x`), { token: intruder.token, body: route.body });
      expect(unknown.status).toBe(404);
      expect(res.json.error.message).toBe(unknown.json.error.message);
    });
  }
});

describe("owned lists", () => {
  it("lists only the customer's own returns, wishlist and store credit", async () => {
    const [owner, intruder] = [await registerCustomer("list-owner"), await registerCustomer("list-intruder")];
    const returnId = await returnOf(owner);
    const variantId = await wishedVariantOf(owner);
    await call("POST", `/api/v1/admin/store-credit/${owner.userId}`, { token: adminToken, body: { amount: 300, currency: "USD" } });
    const returns = await call("GET", `${STORE}/returns?limit=100`, { token: intruder.token });
    expect(returns.json.data.map((r: { id: string }) => r.id)).not.toContain(returnId);
    const wishlist = await call("GET", `${STORE}/wishlist/items`, { token: intruder.token });
    expect(wishlist.json.items.map((i: { variantId: string }) => i.variantId)).not.toContain(variantId);
    const credit = await call("GET", `${STORE}/store-credit`, { token: intruder.token });
    expect(credit.json).toMatchObject({ customerId: intruder.userId, balance: { amount: 0 } });
    expect((await call("GET", `${STORE}/returns?limit=100`, { token: owner.token })).json.data.map((r: { id: string }) => r.id)).toContain(returnId);
  });
});

type OwnedField = { field: string; query: string; create: (owner: Session) => Promise<string> };

/** GraphQL root fields that take the id (or code) of one customer's resource. */
const OWNED_FIELDS: OwnedField[] = [
  { field: "order", query: "query($id: ID!) { order(id: $id) { id } }", create: (o) => orderOf(o) },
  { field: "checkout", query: "query($id: ID!) { checkout(id: $id) { id } }", create: (o) => checkoutOf(o) },
  { field: "updateCartItem", query: "mutation($id: ID!) { updateCartItem(itemId: $id, quantity: 2) { id } }", create: (o) => cartItemOf(o) },
  { field: "removeCartItem", query: "mutation($id: ID!) { removeCartItem(itemId: $id) { id } }", create: (o) => cartItemOf(o) },
  { field: "removeDiscount", query: "mutation($id: String!) { removeDiscount(code: $id) { id } }", create: (o) => cartCodeOf(o) },
  { field: "payCheckout", query: 'mutation($id: ID!) { payCheckout(id: $id, token: "tok_success") { id } }', create: (o) => checkoutOf(o) },
  { field: "setShippingAddress", query: "mutation($id: ID!) { setShippingAddress(addressId: $id) { id } }", create: (o) => addressOf(o) },
];

const schema = storefrontSchema();
const rootFields = [...Object.values(schema.getQueryType()!.getFields()), ...Object.values(schema.getMutationType()!.getFields())];
const customerFields = rootFields.filter((f) => rulesOf(f).access === "customer");

describe("GraphQL: owned resources", () => {
  it("lists every customer field that takes the id of a customer's resource", () => {
    // An `id` or `itemId` argument names a resource of the caller; `variantId` names the catalog's.
    const taking = customerFields.filter((f) => f.args.some((a) => a.name === "id" || a.name === "itemId")).map((f) => f.name);
    expect(taking.filter((name) => !OWNED_FIELDS.some((o) => o.field === name))).toEqual([]);
  });

  let owner: Session;
  let intruder: Session;
  beforeAll(async () => {
    [owner, intruder] = [await registerCustomer("gql-owner"), await registerCustomer("gql-intruder")];
  });

  for (const owned of OWNED_FIELDS) {
    it(`${owned.field} answers null with NOT_FOUND for another customer's id, as for an unknown id`, async () => {
      const id = await owned.create(owner);
      const res = await graphql(owned.query, { token: intruder.token, variables: { id } });
      expect(errorCodes(res)).toEqual(["NOT_FOUND"]);
      expect(res.json.data?.[owned.field] ?? null).toBeNull();
      const unknown = await graphql(owned.query, { token: intruder.token, variables: { id: `${id}x` } });
      expect(errorCodes(unknown)).toEqual(["NOT_FOUND"]);
      expect(res.json.errors[0].message).toBe(unknown.json.errors[0].message);
    });
  }

  it("lists only the customer's own orders", async () => {
    const orderId = await orderOf(owner);
    const theirs = await graphql("{ orders(first: 100) { edges { node { id } } } }", { token: intruder.token });
    expect(theirs.json.data.orders.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(orderId);
    const mine = await graphql("{ orders(first: 100) { edges { node { id } } } }", { token: owner.token });
    expect(mine.json.data.orders.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(orderId);
  });
});

/** A literal any argument of this type accepts (the checks under test run before arguments matter). */
function anyValue(type: GraphQLInputType): string {
  if (isNonNullType(type)) return anyValue(type.ofType);
  const named = getNamedType(type);
  if (isEnumType(named)) return named.getValues()[0]!.name;
  if (isInputObjectType(named)) return "{}";
  return named.name === "Int" || named.name === "Float" ? "1" : '"x"';
}

function callOf(field: GraphQLField<unknown, unknown>): string {
  const args = field.args.filter((a) => isNonNullType(a.type)).map((a) => `${a.name}: ${anyValue(a.type)}`);
  const selection = isLeafType(getNamedType(field.type)) ? "" : " { __typename }";
  const operation = schema.getMutationType()!.getFields()[field.name] === field ? "mutation" : "query";
  return `${operation} { ${field.name}${args.length ? `(${args.join(", ")})` : ""}${selection} }`;
}

describe("GraphQL: fields that need a customer", () => {
  it("covers the shopper's cart, checkout and orders", () => {
    const names = customerFields.map((f) => f.name);
    for (const name of ["cart", "orders", "order", "addToCart", "createCheckout", "payCheckout"]) expect(names).toContain(name);
  });

  for (const field of customerFields) {
    it(`${field.name} refuses an anonymous call and a bad token with UNAUTHENTICATED`, async () => {
      for (const token of [undefined, "not-a-valid-token"]) {
        const res = await graphql(callOf(field), { token });
        expect(errorCodes(res), JSON.stringify(res.json)).toEqual(["UNAUTHENTICATED"]);
        expect(res.json.data?.[field.name] ?? null).toBeNull();
      }
    });
  }

  it("answers public catalog fields without a token", async () => {
    for (const field of rootFields.filter((f) => rulesOf(f).access === "public")) {
      const res = await graphql(field.name === "product" ? 'query { product(slug: "x") { __typename } }' : callOf(field));
      expect(errorCodes(res).filter((code) => code === "UNAUTHENTICATED"), field.name).toEqual([]);
    }
  });
});
