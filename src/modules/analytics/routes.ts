import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { resolveRange, FunnelReport, LowStockQuery, LowStockReport, MarketSalesReport, RangeQuery, SalesReport, TopProductsQuery, TopProductsReport } from "./schemas";
import * as analytics from "./service";

export const adminAnalyticsRoutes = createRouter();
const common = { tags: ["Admin: analytics"], middleware: requireAdmin("analytics"), security: adminSecurity };

adminAnalyticsRoutes.openapi(
  createRoute({
    ...common,
    method: "get",
    path: "/analytics/sales",
    summary: "Revenue, orders and average order value per day (UTC), per currency",
    request: { query: RangeQuery },
    responses: { 200: jsonContent(SalesReport, "Sales by day"), ...errorResponses(401, 403, 422) },
  }),
  async (c) => c.json(await analytics.salesByDay(c.env, resolveRange(c.req.valid("query"))), 200),
);

adminAnalyticsRoutes.openapi(
  createRoute({
    ...common,
    method: "get",
    path: "/analytics/sales-by-market",
    summary: "Revenue, shipping and tax per region and currency in a period (each currency on its own, never converted)",
    request: { query: RangeQuery },
    responses: { 200: jsonContent(MarketSalesReport, "Sales by region and currency"), ...errorResponses(401, 403, 422) },
  }),
  async (c) => c.json(await analytics.salesByMarket(c.env, resolveRange(c.req.valid("query"))), 200),
);

adminAnalyticsRoutes.openapi(
  createRoute({
    ...common,
    method: "get",
    path: "/analytics/top-products",
    summary: "Best-selling products by units in a period",
    request: { query: TopProductsQuery },
    responses: { 200: jsonContent(TopProductsReport, "Top products"), ...errorResponses(401, 403, 422) },
  }),
  async (c) => {
    const { limit, ...range } = c.req.valid("query");
    return c.json(await analytics.topProducts(c.env, resolveRange(range), limit), 200);
  },
);

adminAnalyticsRoutes.openapi(
  createRoute({
    ...common,
    method: "get",
    path: "/analytics/low-stock",
    summary: "Variants whose available stock (read model) is below a threshold",
    request: { query: LowStockQuery },
    responses: { 200: jsonContent(LowStockReport, "Low stock"), ...errorResponses(401, 403, 422) },
  }),
  async (c) => {
    const { threshold, limit } = c.req.valid("query");
    return c.json(await analytics.lowStock(c.env, threshold, limit), 200);
  },
);

adminAnalyticsRoutes.openapi(
  createRoute({
    ...common,
    method: "get",
    path: "/analytics/funnel",
    summary: "Carts → checkouts → orders created in a period",
    request: { query: RangeQuery },
    responses: { 200: jsonContent(FunnelReport, "Funnel"), ...errorResponses(401, 403, 422) },
  }),
  async (c) => c.json(await analytics.funnel(c.env, resolveRange(c.req.valid("query"))), 200),
);
