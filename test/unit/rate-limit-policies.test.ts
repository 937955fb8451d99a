import { describe, expect, it } from "vitest";
import { getConfig } from "../../src/env";
import { policyFor, routeGroup } from "../../src/modules/rate-limit/policies";

const config = (vars: Record<string, string>) => getConfig({ JWT_SECRET: "x".repeat(32), ...vars } as unknown as Env);

describe("rate-limit policies", () => {
  it("reads each policy from its var and scales it by RATE_LIMIT_MULTIPLIER", () => {
    const c = config({ RATE_LIMIT_AUTH: "10/60", RATE_LIMIT_MULTIPLIER: "2.5" });
    expect(policyFor(c, "auth")).toEqual({ name: "auth", limit: 25, windowSeconds: 60 });
    expect(policyFor(c, "storeRead")).toEqual({ name: "storeRead", limit: 750, windowSeconds: 60 });
  });

  it("never scales a policy below one request per window", () => {
    expect(policyFor(config({ RATE_LIMIT_MULTIPLIER: "0.001" }), "loginEmail").limit).toBe(1);
  });

  it("maps routes to groups: store reads and auth writes by IP, cart and checkout writes by user, probes exempt", () => {
    expect(routeGroup("GET", "/api/v1/store/products")).toEqual({ policy: "storeRead", keyBy: "ip" });
    expect(routeGroup("GET", "/api/v1/store/cart")).toEqual({ policy: "storeRead", keyBy: "ip" });
    expect(routeGroup("POST", "/api/v1/store/cart/items")).toEqual({ policy: "cart", keyBy: "user" });
    expect(routeGroup("POST", "/api/v1/store/checkouts/chk_1/payment")).toEqual({ policy: "checkout", keyBy: "user" });
    // Paying an exchange's price difference charges a card: the checkout limit, not the default.
    expect(routeGroup("POST", "/api/v1/store/returns/ret_1/payment")).toEqual({ policy: "checkout", keyBy: "user" });
    expect(routeGroup("POST", "/api/v1/store/orders/ord_1/returns")).toEqual({ policy: "default", keyBy: "user" });
    expect(routeGroup("POST", "/api/v1/store/orders/ord_1/cancel")).toEqual({ policy: "default", keyBy: "user" });
    expect(routeGroup("POST", "/api/v1/auth/login")).toEqual({ policy: "auth", keyBy: "ip" });
    expect(routeGroup("GET", "/api/v1/auth/me")).toEqual({ policy: "default", keyBy: "ip" });
    expect(routeGroup("DELETE", "/api/v1/admin/api-keys/x")).toEqual({ policy: "admin", keyBy: "ip" });
    // Issue 11, item 6: provider webhooks have their own (high) policy, not the anonymous default.
    expect(routeGroup("POST", "/api/v1/webhooks/payments")).toEqual({ policy: "webhook", keyBy: "ip" });
    for (const path of ["/healthz", "/openapi.json", "/docs"]) expect(routeGroup("GET", path)).toBeNull();
    expect(routeGroup("OPTIONS", "/api/v1/auth/login")).toBeNull();
    // The GraphQL handler counts each request by what its operation does (graphql-shopper.test.ts).
    expect(routeGroup("POST", "/graphql")).toBeNull();
  });
});
