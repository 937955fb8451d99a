import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { SQL } from "../../src/modules/analytics/repo";
import { insertOrder, insertProductWithVariant } from "../factories/orders";
import { call, createAdmin, registerCustomer } from "../helpers";

const DAY = 86_400_000;
const day0 = Date.UTC(2026, 5, 1, 12);
let adminToken: string;
let mug: Awaited<ReturnType<typeof insertProductWithVariant>>;
let lamp: Awaited<ReturnType<typeof insertProductWithVariant>>;

beforeAll(async () => {
  adminToken = (await createAdmin()).token;
  const customer = await registerCustomer();
  mug = await insertProductWithVariant({ title: "Mug", price: 1000, onHand: 3 });
  lamp = await insertProductWithVariant({ title: "Lamp", price: 5000, onHand: 40, reserved: 38 });
  const line = (p: typeof mug, quantity: number, unitPrice: number) => ({ productId: p.productId, variantId: p.variantId, quantity, unitPrice });
  await insertOrder({ customerId: customer.userId, createdAt: day0, lines: [line(mug, 2, 1000)] });
  await insertOrder({ customerId: customer.userId, createdAt: day0 + 3600_000, lines: [line(mug, 1, 1000), line(lamp, 1, 5000)] });
  await insertOrder({ customerId: customer.userId, createdAt: day0 + DAY, lines: [line(lamp, 1, 5001)] });
  await insertOrder({ customerId: customer.userId, createdAt: day0 + DAY, status: "cancelled", lines: [line(mug, 50, 1000)] });
});

describe("GET /api/v1/admin/analytics/sales", () => {
  it("sums revenue and orders per day and leaves cancelled orders out", async () => {
    const res = await call("GET", "/api/v1/admin/analytics/sales?from=2026-06-01&to=2026-06-03", { token: adminToken });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual([
      { day: "2026-06-01", orders: 2, revenue: { amount: 8000, currency: "USD" }, averageOrderValue: { amount: 4000, currency: "USD" } },
      { day: "2026-06-02", orders: 1, revenue: { amount: 5001, currency: "USD" }, averageOrderValue: { amount: 5001, currency: "USD" } },
    ]);
  });

  it("answers 422 for a reversed or over-long range", async () => {
    expect((await call("GET", "/api/v1/admin/analytics/sales?from=2026-06-03&to=2026-06-01", { token: adminToken })).status).toBe(422);
    expect((await call("GET", "/api/v1/admin/analytics/sales?from=2020-01-01&to=2026-06-01", { token: adminToken })).status).toBe(422);
  });
});

describe("GET /api/v1/admin/analytics/top-products", () => {
  it("ranks products by units sold in the period", async () => {
    const res = await call("GET", "/api/v1/admin/analytics/top-products?from=2026-06-01&to=2026-06-03", { token: adminToken });
    expect(res.json.data.map((p: { title: string; units: number }) => [p.title, p.units])).toEqual([["Mug", 3], ["Lamp", 2]]);
  });
});

describe("GET /api/v1/admin/analytics/low-stock", () => {
  it("lists variants whose available stock is below the threshold, lowest first", async () => {
    const res = await call("GET", "/api/v1/admin/analytics/low-stock?threshold=5", { token: adminToken });
    const rows = res.json.data.filter((r: { variantId: string }) => [mug.variantId, lamp.variantId].includes(r.variantId));
    expect(rows.map((r: { productTitle: string; available: number }) => [r.productTitle, r.available])).toEqual([["Lamp", 2], ["Mug", 3]]);
  });
});

describe("GET /api/v1/admin/analytics/funnel", () => {
  it("counts carts, checkouts and orders created in the period", async () => {
    const res = await call("GET", "/api/v1/admin/analytics/funnel?from=2026-06-01&to=2026-06-03", { token: adminToken });
    expect(res.json).toMatchObject({ carts: 0, checkouts: 0, orders: 3, checkoutRate: null, conversionRate: null });
  });

  it("is admin-only", async () => {
    const customer = await registerCustomer();
    expect((await call("GET", "/api/v1/admin/analytics/funnel", { token: customer.token })).status).toBe(403);
  });
});

describe("analytics queries", () => {
  const plans = async (sql: string, params: unknown[]) =>
    (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail);

  it("never scan a whole table", async () => {
    const shapes: [string, unknown[]][] = [
      [SQL.sales, [0, 1]],
      [SQL.salesByMarket, [0, 1]],
      [SQL.topProducts, [0, 1, 10]],
      [SQL.lowStock, [5, 10]],
      ...SQL.funnel.map((q) => [q, [0, 1]] as [string, unknown[]]),
    ];
    for (const [sql, params] of shapes) {
      const details = await plans(sql, params);
      const fullScans = details.filter((d) => d.startsWith("SCAN "));
      expect({ sql: sql.slice(0, 60), fullScans }).toEqual({ sql: sql.slice(0, 60), fullScans: [] });
    }
  });
});
