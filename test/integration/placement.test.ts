/**
 * Placement (docs/performance.md): deployed as an edge Worker and a write Worker, the edge hands
 * writes and a shopper's own reads to the write Worker over the `WRITES` service binding, and
 * serves cached catalog reads itself.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runsNearPrimary } from "../../src/http/middleware/placement";
import { callWith } from "../helpers";

describe("placement of requests", () => {
  it("sends writes and a shopper's own data near the primary, keeps catalog reads at the edge", () => {
    expect(runsNearPrimary("POST", "/api/v1/store/cart/items", true)).toBe(true);
    expect(runsNearPrimary("GET", "/api/v1/store/cart", true)).toBe(true);
    expect(runsNearPrimary("POST", "/api/v1/store/checkouts/chk_1/payment", true)).toBe(true);
    expect(runsNearPrimary("GET", "/api/v1/store/orders/ord_1", true)).toBe(true);
    expect(runsNearPrimary("GET", "/api/v1/admin/orders", true)).toBe(true);
    expect(runsNearPrimary("POST", "/api/v1/webhooks/payments", false)).toBe(true);
    expect(runsNearPrimary("POST", "/graphql", true)).toBe(true);
    expect(runsNearPrimary("GET", "/api/v1/store/products", false)).toBe(false);
    expect(runsNearPrimary("GET", "/api/v1/store/products/abc", false)).toBe(false);
    expect(runsNearPrimary("GET", "/graphql", false)).toBe(false);
    expect(runsNearPrimary("POST", "/graphql", false)).toBe(false);
    expect(runsNearPrimary("GET", "/healthz", false)).toBe(false);
  });

  it("with a WRITES binding, the edge forwards a cart write unchanged and answers what the write Worker answered", async () => {
    const seen: string[] = [];
    const writes = { fetch: async (request: Request) => (seen.push(`${request.method} ${new URL(request.url).pathname} ${request.headers.get("Authorization")}`), Response.json({ from: "writes" }, { status: 201 })) };
    const edge = { ...env, WRITES: writes } as unknown as Env;
    const res = await callWith(edge, "POST", "/api/v1/store/cart/items", { token: "abc", body: { variantId: "v", quantity: 1 } });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ from: "writes" });
    expect(seen).toEqual(["POST /api/v1/store/cart/items Bearer abc"]);
    const read = await callWith(edge, "GET", "/healthz");
    expect(read.json).toEqual({ status: "ok" });
    expect(seen).toHaveLength(1);
  });
});
