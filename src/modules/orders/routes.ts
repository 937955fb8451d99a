import { createRoute } from "@hono/zod-openapi";
import { currentUserId, requireAuth } from "../../http/middleware/auth";
import { bearerSecurity, errorResponses, jsonContent, PageQuery, pageOf } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { Order, OrderParam } from "./schemas";
import * as orders from "./service";

export const orderRoutes = createRouter();
const tags = ["Store: orders"];
const guard = requireAuth();

orderRoutes.openapi(
  createRoute({
    method: "get",
    path: "/orders",
    tags,
    summary: "The customer's own orders, newest first",
    middleware: guard,
    security: bearerSecurity,
    request: { query: PageQuery },
    responses: { 200: jsonContent(pageOf(Order), "Orders"), ...errorResponses(401, 422) },
  }),
  async (c) => c.json(await orders.listOrders(c.env, { customerId: currentUserId(c.get("principal")) }, c.req.valid("query")), 200),
);

orderRoutes.openapi(
  createRoute({
    method: "get",
    path: "/orders/{id}",
    tags,
    summary: "One of the customer's own orders",
    middleware: guard,
    security: bearerSecurity,
    request: { params: OrderParam },
    responses: { 200: jsonContent(Order, "Order"), ...errorResponses(401, 404) },
  }),
  async (c) => c.json(await orders.getOrder(c.env, c.req.valid("param").id, currentUserId(c.get("principal"))), 200),
);

orderRoutes.openapi(
  createRoute({
    method: "post",
    path: "/orders/{id}/cancel",
    tags,
    summary: "Cancel an order before it ships (stock and payment are returned)",
    middleware: guard,
    security: bearerSecurity,
    request: { params: OrderParam },
    responses: { 200: jsonContent(Order, "Cancelled order"), ...errorResponses(401, 404, 409) },
  }),
  async (c) => {
    const userId = currentUserId(c.get("principal"));
    const change = { status: "cancelled" as const, actor: `customer:${userId}`, requestId: c.get("requestId") };
    return c.json(await orders.changeStatus(c.env, c.req.valid("param").id, change, userId), 200);
  },
);
