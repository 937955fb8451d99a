import { createRoute } from "@hono/zod-openapi";
import { currentUserId, requireAdmin, requireAuth } from "../../http/middleware/auth";
import { adminSecurity, bearerSecurity, errorResponses, jsonBody, jsonContent, PageQuery, pageOf } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { OrderParam } from "../orders/schemas";
import { receiveReturn } from "./receive";
import { PaymentBody } from "../checkout/schemas";
import { payDifference } from "./difference";
import { AdminReturnQuery, ReceiveReturnBody, RejectReturnBody, RequestReturnBody, Return, ReturnParam, ReturnPaymentAnswer } from "./schemas";
import * as returns from "./service";

export const returnStoreRoutes = createRouter();
export const returnAdminRoutes = createRouter();
const storeTags = ["Store: returns"];
const adminTags = ["Admin: returns"];
const customer = requireAuth();
const admin = requireAdmin("orders");

returnStoreRoutes.openapi(
  createRoute({
    method: "post",
    path: "/orders/{id}/returns",
    tags: storeTags,
    summary: "Ask to return units of a delivered order (within the return window); optionally exchange them for other variants",
    middleware: customer,
    security: bearerSecurity,
    request: { params: OrderParam, body: jsonBody(RequestReturnBody) },
    responses: { 201: jsonContent(Return, "Return requested"), ...errorResponses(400, 401, 404, 409, 422) },
  }),
  async (c) => {
    const userId = currentUserId(c.get("principal"));
    return c.json(await returns.requestReturn(c.env, userId, c.req.valid("param").id, c.req.valid("json"), c.get("requestId")), 201);
  },
);

returnStoreRoutes.openapi(
  createRoute({
    method: "get",
    path: "/returns",
    tags: storeTags,
    summary: "The customer's own returns, newest first",
    middleware: customer,
    security: bearerSecurity,
    request: { query: PageQuery },
    responses: { 200: jsonContent(pageOf(Return), "Returns"), ...errorResponses(400, 401, 422) },
  }),
  async (c) => c.json(await returns.listReturns(c.env, { customerId: currentUserId(c.get("principal")) }, c.req.valid("query")), 200),
);

returnStoreRoutes.openapi(
  createRoute({
    method: "get",
    path: "/returns/{id}",
    tags: storeTags,
    summary: "One of the customer's own returns",
    middleware: customer,
    security: bearerSecurity,
    request: { params: ReturnParam },
    responses: { 200: jsonContent(Return, "Return"), ...errorResponses(401, 404) },
  }),
  async (c) => c.json(await returns.getReturn(c.env, c.req.valid("param").id, currentUserId(c.get("principal"))), 200),
);

returnStoreRoutes.openapi(
  createRoute({
    method: "post",
    path: "/returns/{id}/payment",
    tags: storeTags,
    summary: "Pay the price difference of an exchange that costs more than what comes back",
    description:
      "Through the server's payment provider, like a checkout's payment. With the test provider the answer is the return with `difference.status` paid, or 402 for a decline (pay again). " +
      "With a Stripe-compatible provider `difference.status` is paying and `payment.clientSecret` is set; the signed webhook completes it. Paying a paid difference charges nothing.",
    middleware: customer,
    security: bearerSecurity,
    request: { params: ReturnParam, body: { required: true, content: { "application/json": { schema: PaymentBody } } } },
    responses: { 200: jsonContent(ReturnPaymentAnswer, "The return, with the client secret while the customer confirms"), ...errorResponses(400, 401, 402, 404, 409, 422) },
  }),
  async (c) => {
    const userId = currentUserId(c.get("principal"));
    const id = c.req.valid("param").id;
    const { clientSecret } = await payDifference(c.env, userId, id, c.req.valid("json"), c.get("requestId"));
    const answer = await returns.getReturn(c.env, id, userId);
    return c.json(clientSecret === undefined ? answer : { ...answer, payment: { clientSecret } }, 200);
  },
);

returnAdminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/returns",
    tags: adminTags,
    summary: "All returns, newest first, optionally by status",
    middleware: admin,
    security: adminSecurity,
    request: { query: AdminReturnQuery },
    responses: { 200: jsonContent(pageOf(Return), "Returns"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => {
    const { status, ...page } = c.req.valid("query");
    return c.json(await returns.listReturns(c.env, { status }, page), 200);
  },
);

returnAdminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/returns/{id}",
    tags: adminTags,
    summary: "Any return",
    middleware: admin,
    security: adminSecurity,
    request: { params: ReturnParam },
    responses: { 200: jsonContent(Return, "Return"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => c.json(await returns.getReturn(c.env, c.req.valid("param").id), 200),
);

returnAdminRoutes.openapi(
  createRoute({
    method: "post",
    path: "/returns/{id}/approve",
    tags: adminTags,
    summary: "Approve a requested return (an exchange's replacements are reserved now: 409 when out of stock, or while its price difference is unpaid)",
    middleware: admin,
    security: adminSecurity,
    request: { params: ReturnParam },
    responses: { 200: jsonContent(Return, "Approved return"), ...errorResponses(401, 403, 404, 409) },
  }),
  async (c) => c.json(await returns.approveReturn(c.env, c.req.valid("param").id), 200),
);

returnAdminRoutes.openapi(
  createRoute({
    method: "post",
    path: "/returns/{id}/reject",
    tags: adminTags,
    summary: "Reject a requested or approved return",
    middleware: admin,
    security: adminSecurity,
    request: { params: ReturnParam, body: { required: false, content: { "application/json": { schema: RejectReturnBody } } } },
    responses: { 200: jsonContent(Return, "Rejected return"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => c.json(await returns.rejectReturn(c.env, c.req.valid("param").id, (c.req.valid("json") ?? {}).note ?? null), 200),
);

returnAdminRoutes.openapi(
  createRoute({
    method: "post",
    path: "/returns/{id}/receive",
    tags: adminTags,
    summary: "The goods are back: restock them (when asked) and refund what was paid for them, discounts and tax included",
    middleware: admin,
    security: adminSecurity,
    request: { params: ReturnParam, body: jsonBody(ReceiveReturnBody) },
    responses: { 200: jsonContent(Return, "Received (or already refunded) return"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const id = c.req.valid("param").id;
    await receiveReturn(c.env, id, { ...body, requestId: c.get("requestId") });
    return c.json(await returns.getReturn(c.env, id), 200);
  },
);
