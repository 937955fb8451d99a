import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, jsonContent, pageOf } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { toRefundView } from "../payments/refunds";
import { Refund, RefundCursor, RefundListQuery, RefundParam } from "./schemas";
import * as refunds from "./service";

export const adminRefundRoutes = createRouter();
const tags = ["Admin: refunds"];
const guard = requireAdmin("orders");

adminRefundRoutes.openapi(
  createRoute({
    method: "get",
    path: "/refunds",
    tags,
    summary: "Refunds, newest change first; `status=needs_attention` lists those handed to admins",
    middleware: guard,
    security: adminSecurity,
    request: { query: RefundListQuery },
    responses: { 200: jsonContent(pageOf(Refund), "Refunds"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => {
    const { status, limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, RefundCursor);
    const rows = await refunds.listRefunds(c.env, status, after && { updatedAt: after.u, id: after.id }, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json({ data: page.map(toRefundView), nextCursor: rows.length > limit && last ? encodeCursor({ u: last.updated_at, id: last.id }) : null }, 200);
  },
);

adminRefundRoutes.openapi(
  createRoute({
    method: "get",
    path: "/refunds/{id}",
    tags,
    summary: "One refund",
    middleware: guard,
    security: adminSecurity,
    request: { params: RefundParam },
    responses: { 200: jsonContent(Refund, "Refund"), ...errorResponses(401, 403, 404, 422) },
  }),
  async (c) => c.json(toRefundView(await refunds.getRefund(c.env, c.req.valid("param").id)), 200),
);

adminRefundRoutes.openapi(
  createRoute({
    method: "post",
    path: "/refunds/{id}/retry",
    tags,
    summary: "Try a refund again now (one handed to admins starts a fresh count of attempts)",
    middleware: guard,
    security: adminSecurity,
    request: { params: RefundParam },
    responses: { 200: jsonContent(Refund, "The refund after the attempt"), ...errorResponses(401, 403, 404, 422) },
  }),
  async (c) => c.json(toRefundView(await refunds.retryRefund(c.env, c.req.valid("param").id)), 200),
);
