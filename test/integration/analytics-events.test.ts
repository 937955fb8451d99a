/**
 * The data points an analyst queries (docs/analytics.md) are really written: one per request in
 * the request layout, and business events for failed checkouts and rate-limited requests.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { clearInventoryAlarms, createVariant } from "../factories/commerce";
import { uniqueEmail } from "../helpers";

afterEach(() => clearInventoryAlarms());

function recordingEnv(overrides: Record<string, string> = {}) {
  const points: AnalyticsEngineDataPoint[] = [];
  const testEnv = { ...env, ...overrides, ANALYTICS: { writeDataPoint: (p: AnalyticsEngineDataPoint) => void points.push(p ?? {}) } } as unknown as Env;
  const app = createApp();
  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`https://edgeshop.test${path}`, { method, headers: { "Content-Type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) }),
      testEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return { status: res.status, json: (await res.json().catch(() => null)) as any };
  };
  return { points, send };
}

const events = (points: AnalyticsEngineDataPoint[], type: string) => points.filter((p) => p.blobs?.[0] === "event" && p.blobs?.[1] === type);

describe("Analytics Engine data points", () => {
  it("writes one request point per request with the route pattern, status class and latency", async () => {
    const { points, send } = recordingEnv();
    await send("GET", "/healthz");
    await send("GET", "/api/v1/store/products/prod_does_not_exist");
    const requests = points.filter((p) => p.blobs?.[0] === "request");
    expect(requests).toHaveLength(2);
    expect(requests[0]!.blobs!.slice(0, 4)).toEqual(["request", "/healthz", "GET", "2xx"]);
    expect(requests[1]!.blobs!.slice(1, 4)).toEqual(["/api/v1/store/products/:idOrSlug", "GET", "4xx"]);
    expect(requests[1]!.indexes).toEqual(["/api/v1/store/products/:idOrSlug"]);
    expect(typeof requests[0]!.doubles![0]).toBe("number");
  });

  it("records checkout_failed with its reason for a sold-out checkout and a declined payment", async () => {
    const { points, send } = recordingEnv();
    const variant = await createVariant(1);
    const register = async () => (await send("POST", "/api/v1/auth/register", { email: uniqueEmail("ae"), password: "password-123", name: "AE" })).json.accessToken as string;
    const [first, second] = [await register(), await register()];
    for (const token of [first, second]) await send("POST", "/api/v1/store/cart/items", { variantId: variant.id, quantity: 1 }, { Authorization: `Bearer ${token}` });
    const won = await send("POST", "/api/v1/store/checkouts", {}, { Authorization: `Bearer ${first}`, "Idempotency-Key": crypto.randomUUID() });
    expect(won.status).toBe(201);
    expect((await send("POST", "/api/v1/store/checkouts", {}, { Authorization: `Bearer ${second}`, "Idempotency-Key": crypto.randomUUID() })).status).toBe(409);
    expect((await send("POST", `/api/v1/store/checkouts/${won.json.id}/payment`, { provider: "test", token: "tok_decline" }, { Authorization: `Bearer ${first}` })).status).toBe(402);
    expect(events(points, "checkout_failed").map((p) => p.blobs![2])).toEqual(["insufficient_inventory", "payment_declined"]);
  });

  it("records rate_limited with the policy's name", async () => {
    const { points, send } = recordingEnv({ RATE_LIMIT_MULTIPLIER: "1", RATE_LIMIT_STORE_READ: "2/60" });
    const headers = { "CF-Connecting-IP": `203.0.113.${Math.floor(Math.random() * 200) + 1}` };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send("GET", "/api/v1/store/categories", undefined, headers)).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(events(points, "rate_limited")).toHaveLength(1);
    expect(events(points, "rate_limited")[0]!.indexes).toEqual(["rate_limited"]);
  });
});

describe("order_placed metric", () => {
  it("is written once per order, with its value and currency, however often the event arrives", async () => {
    const { recordOrderPlacedMetric } = await import("../../src/modules/analytics/order-metrics");
    const { insertOrder, insertProductWithVariant } = await import("../factories/orders");
    const { registerCustomer } = await import("../helpers");
    const customer = await registerCustomer();
    const product = await insertProductWithVariant({ price: 1234 });
    const orderId = await insertOrder({ customerId: customer.userId, lines: [{ productId: product.productId, variantId: product.variantId, quantity: 2, unitPrice: 1234 }] });
    const points: AnalyticsEngineDataPoint[] = [];
    const fakeEnv = { ...env, ANALYTICS: { writeDataPoint: (p: AnalyticsEngineDataPoint) => void points.push(p ?? {}) } } as unknown as Env;
    await recordOrderPlacedMetric(fakeEnv, orderId);
    await recordOrderPlacedMetric(fakeEnv, orderId);
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ blobs: ["event", "order_placed", "USD", orderId, ""], doubles: [2468, 1], indexes: ["order_placed"] });
  });
});
