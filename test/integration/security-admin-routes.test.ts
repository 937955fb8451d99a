/**
 * Invariant: every admin route, found by walking the app's own route table (so a new one cannot
 * be forgotten), answers 401 without credentials and 403 to a customer; an ADMIN token passes,
 * and an API key passes only with the scope of the route's area (read for GET, write otherwise).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { SCOPE_AREAS, type ScopeArea } from "../../src/modules/api-keys/scopes";
import { call, createAdmin, expectErrorEnvelope, registerCustomer } from "../helpers";

/** First path segment after /api/v1/admin → the scope area guarding it. A new segment must be added here. */
const AREA_BY_SEGMENT: Record<string, ScopeArea> = {
  products: "catalog",
  variants: "catalog",
  categories: "catalog",
  collections: "catalog",
  inventory: "inventory",
  orders: "orders",
  refunds: "orders",
  "price-lists": "pricing",
  "customer-groups": "pricing",
  discounts: "promotions",
  reviews: "reviews",
  emails: "emails",
  campaigns: "emails",
  "circuit-breakers": "emails",
  analytics: "analytics",
  "api-keys": "api-keys",
  "dead-letters": "queues",
  webhooks: "webhooks",
  regions: "markets",
  "tax-rates": "markets",
  "shipping-methods": "markets",
  returns: "orders",
  "gift-cards": "gift-cards",
  "store-credit": "gift-cards",
};

const ADMIN_PREFIX = "/api/v1/admin/";
const adminRoutes = [
  ...new Map(
    createApp()
      .routes.filter((r) => r.method !== "ALL" && r.path.startsWith(ADMIN_PREFIX))
      .map((r) => [`${r.method} ${r.path}`, { method: r.method, path: r.path }]),
  ).values(),
];

/** Fills path params with ids that exist nowhere: authorization must be decided before lookup. */
const concrete = (path: string) => path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "x_$1_unknown");
const areaOf = (path: string) => AREA_BY_SEGMENT[path.slice(ADMIN_PREFIX.length).split("/")[0]!];
const isRead = (method: string) => method === "GET" || method === "HEAD";

let admin: Awaited<ReturnType<typeof createAdmin>>;
let customer: Awaited<ReturnType<typeof registerCustomer>>;
const keys = new Map<string, string>();

beforeAll(async () => {
  admin = await createAdmin();
  customer = await registerCustomer();
  for (const area of SCOPE_AREAS) {
    for (const action of ["read", "write"]) {
      const scope = `${area}:${action}`;
      const res = await call("POST", "/api/v1/admin/api-keys", { token: admin.token, body: { name: scope, scopes: [scope] } });
      if (res.status !== 201) throw new Error(`could not create key ${scope}: ${res.status}`);
      keys.set(scope, res.json.key);
    }
  }
});

describe("admin route table", () => {
  it("has admin routes to walk, each under a known scope area", () => {
    expect(adminRoutes.length).toBeGreaterThan(0);
    const unmapped = adminRoutes.filter((r) => !areaOf(r.path)).map((r) => `${r.method} ${r.path}`);
    expect(unmapped, "add the new segment to AREA_BY_SEGMENT").toEqual([]);
  });

  for (const route of adminRoutes) {
    describe(`${route.method} ${route.path}`, () => {
      const path = concrete(route.path);
      const send = (auth: { token?: string; apiKey?: string }) => call(route.method, path, { ...auth, body: route.method === "GET" ? undefined : {} });

      it("answers 401 UNAUTHENTICATED without credentials or with a made-up API key", async () => {
        const none = await send({});
        expect(none.status).toBe(401);
        expectErrorEnvelope(none, "UNAUTHENTICATED");
        expect((await send({ apiKey: "esk_not-a-real-key-0000000000000000" })).status).toBe(401);
      });

      it("answers 403 FORBIDDEN to a customer", async () => {
        const res = await send({ token: customer.token });
        expect(res.status).toBe(403);
        expectErrorEnvelope(res, "FORBIDDEN");
      });

      it("lets an ADMIN token past authorization", async () => {
        expect([401, 403]).not.toContain((await send({ token: admin.token })).status);
      });

      it("lets an API key through only with the scope of its own area", async () => {
        const area = areaOf(route.path)!;
        const needed = isRead(route.method) ? [`${area}:read`, `${area}:write`] : [`${area}:write`];
        for (const [scope, apiKey] of keys) {
          const status = (await send({ apiKey })).status;
          if (needed.includes(scope)) expect([401, 403], `${scope} should pass`).not.toContain(status);
          else expect(status, `${scope} should be refused`).toBe(403);
        }
      });
    });
  }
});

describe("documented security", () => {
  it("answers 401 on every operation /openapi.json marks as needing credentials", async () => {
    const doc = (await call("GET", "/openapi.json")).json as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const secured = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops).filter(([, op]) => (op.security ?? []).length > 0).map(([method, _op]) => ({ method: method.toUpperCase(), path: p })),
    );
    expect(secured.length).toBeGreaterThan(0);
    for (const op of secured) {
      const res = await call(op.method, op.path.replace(/\{[^}]+\}/g, "x_unknown"), { body: op.method === "GET" ? undefined : {} });
      expect(res.status, `${op.method} ${op.path}`).toBe(401);
    }
  });
});
