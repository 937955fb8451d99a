/**
 * Invariant: a customer can never reach another customer's cart item, checkout or order by id —
 * the answer is 404 NOT_FOUND, exactly as for an id that does not exist (no enumeration).
 *
 * OWNED_ROUTES drives the test. A case runs as soon as its route is in the app's route table, so
 * routes arriving from other branches are covered on merge; the guard below fails when a store
 * route with an id of an owned resource exists without a case here.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { createDiscount } from "../factories/pricing";
import { call, createAdmin, expectErrorEnvelope, registerCustomer } from "../helpers";

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
const OWNED_SEGMENTS = ["cart", "checkouts", "orders", "reviews"];

const OWNED_ROUTES: OwnedRoute[] = [
  { method: "PATCH", path: `${STORE}/cart/items/{id}`, create: (o) => cartItemOf(o), body: { quantity: 2 } },
  { method: "DELETE", path: `${STORE}/cart/items/{id}`, create: (o) => cartItemOf(o) },
  { method: "DELETE", path: `${STORE}/cart/discounts/{id}`, create: (o) => cartCodeOf(o) },
  { method: "GET", path: `${STORE}/checkouts/{id}`, create: (o) => checkoutOf(o) },
  { method: "POST", path: `${STORE}/checkouts/{id}/payment`, create: (o) => checkoutOf(o), body: { provider: "test", token: "tok_success" } },
  { method: "GET", path: `${STORE}/orders/{id}`, create: (o) => orderOf(o) },
  { method: "POST", path: `${STORE}/orders/{id}/cancel`, create: (o) => orderOf(o) },
];

// Factories over the API.md contract, so they work against whichever implementation is merged.
let adminToken: string;
let sku = 0;
async function activeVariant(): Promise<string> {
  adminToken ??= (await createAdmin()).token;
  sku += 1;
  const res = await call("POST", "/api/v1/admin/products", {
    token: adminToken,
    body: { title: `Owned ${sku}`, status: "active", variants: [{ sku: `OWN-${Date.now()}-${sku}`, title: "One", price: 1000, stock: 50 }] },
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
async function orderOf(owner: Session): Promise<string> {
  const checkoutId = await checkoutOf(owner);
  const res = await call("POST", `${STORE}/checkouts/${checkoutId}/payment`, { token: owner.token, body: { provider: "test", token: "tok_success" } });
  if (res.status !== 200) throw new Error(`payment: ${res.status} ${res.text}`);
  return res.json.orderId;
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
