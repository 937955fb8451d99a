import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, jsonBody, jsonContent, pageOf } from "../../http/openapi";
import { createRouter } from "../../http/router";
import type { Principal } from "../../http/types";
import { AdminOrderQuery, Order, OrderParam, OrderStatusBody, RefundBody } from "../orders/schemas";
import * as orders from "../orders/service";

export const adminOrderRoutes = createRouter();
const tags = ["Admin: orders"];
const guard = requireAdmin("orders");
const actorOf = (p: Principal | undefined) => (p?.kind === "user" ? `admin:${p.userId}` : `api-key:${p?.kind === "apiKey" ? p.keyId : "?"}`);

adminOrderRoutes.openapi(
  createRoute({
    method: "get",
    path: "/orders",
    tags,
    summary: "All orders, newest first, optionally by status",
    middleware: guard,
    security: adminSecurity,
    request: { query: AdminOrderQuery },
    responses: { 200: jsonContent(pageOf(Order), "Orders"), ...errorResponses(401, 403, 422) },
  }),
  async (c) => {
    const { status, ...page } = c.req.valid("query");
    return c.json(await orders.listOrders(c.env, { status }, page), 200);
  },
);

adminOrderRoutes.openapi(
  createRoute({
    method: "get",
    path: "/orders/{id}",
    tags,
    summary: "Any order",
    middleware: guard,
    security: adminSecurity,
    request: { params: OrderParam },
    responses: { 200: jsonContent(Order, "Order"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => c.json(await orders.getOrder(c.env, c.req.valid("param").id), 200),
);

adminOrderRoutes.openapi(
  createRoute({
    method: "post",
    path: "/orders/{id}/status",
    tags,
    summary: "Move an order along its state machine (409 INVALID_STATE outside it)",
    middleware: guard,
    security: adminSecurity,
    request: { params: OrderParam, body: jsonBody(OrderStatusBody) },
    responses: { 200: jsonContent(Order, "Order"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const change = { ...body, actor: actorOf(c.get("principal")), requestId: c.get("requestId") };
    return c.json(await orders.changeStatus(c.env, c.req.valid("param").id, change), 200);
  },
);

adminOrderRoutes.openapi(
  createRoute({
    method: "post",
    path: "/orders/{id}/refund",
    tags,
    summary: "Refund an order, optionally returning its stock",
    middleware: guard,
    security: adminSecurity,
    request: { params: OrderParam, body: { required: false, content: { "application/json": { schema: RefundBody } } } },
    responses: { 200: jsonContent(Order, "Refunded order"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => {
    const restock = (c.req.valid("json") ?? {}).restock ?? false;
    const change = { status: "refunded" as const, restock, actor: actorOf(c.get("principal")), requestId: c.get("requestId") };
    return c.json(await orders.changeStatus(c.env, c.req.valid("param").id, change), 200);
  },
);
