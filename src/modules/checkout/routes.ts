import { createRoute } from "@hono/zod-openapi";
import { currentUserId, requireAuth } from "../../http/middleware/auth";
import { marketOf } from "../../http/middleware/market";
import { bearerSecurity, errorResponses, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { payCheckout } from "./payment";
import { Checkout, CheckoutParam, CreateCheckoutBody, IdempotencyHeaders, PaymentAnswer, PaymentBody } from "./schemas";
import * as checkouts from "./service";

export const checkoutRoutes = createRouter();
const tags = ["Store: checkout"];
const guard = requireAuth();

checkoutRoutes.openapi(
  createRoute({
    method: "post",
    path: "/checkouts",
    tags,
    summary: "Lock the cart: price snapshot and stock reservations (needs Idempotency-Key)",
    middleware: guard,
    security: bearerSecurity,
    request: {
      headers: IdempotencyHeaders,
      body: { required: false, content: { "application/json": { schema: CreateCheckoutBody } } },
    },
    responses: { 201: jsonContent(Checkout, "Checkout in state LOCKED"), ...errorResponses(400, 401, 404, 409, 422) },
  }),
  async (c) => {
    const key = c.req.valid("header")["idempotency-key"];
    const body = c.req.valid("json") ?? {};
    const checkout = await checkouts.createCheckout(c.env, currentUserId(c.get("principal")), key, body, Date.now(), marketOf(c));
    c.set("answerRegion", checkout.region);
    return c.json(checkout, 201);
  },
);

checkoutRoutes.openapi(
  createRoute({
    method: "get",
    path: "/checkouts/{id}",
    tags,
    summary: "A checkout of the signed-in customer",
    middleware: guard,
    security: bearerSecurity,
    request: { params: CheckoutParam },
    responses: { 200: jsonContent(Checkout, "Checkout"), ...errorResponses(401, 404) },
  }),
  async (c) => c.json(await checkouts.getCheckout(c.env, currentUserId(c.get("principal")), c.req.valid("param").id), 200),
);

checkoutRoutes.openapi(
  createRoute({
    method: "post",
    path: "/checkouts/{id}/payment",
    tags,
    summary: "Pay a locked checkout through the server's payment provider; on success the order is placed",
    description:
      "With the test provider (development and tests only) the answer is COMPLETED with `orderId`, or 402 for a decline. " +
      "With a Stripe-compatible provider the answer is PAYMENT_PENDING with `payment.clientSecret`; the signed webhook completes the order. " +
      "Naming a provider the server does not use is refused with 422 and nothing is charged.",
    middleware: guard,
    security: bearerSecurity,
    request: { params: CheckoutParam, body: { required: true, content: { "application/json": { schema: PaymentBody } } } },
    responses: { 200: jsonContent(PaymentAnswer, "Checkout COMPLETED with orderId, or PAYMENT_PENDING with the client secret"), ...errorResponses(400, 401, 402, 404, 409, 422) },
  }),
  async (c) => {
    const userId = currentUserId(c.get("principal"));
    // The order.placed message and the COMPLETED mark go out after the answer (finalize stays resumable by the sweep).
    const defer = (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
    return c.json(await payCheckout(c.env, userId, c.req.valid("param").id, c.req.valid("json"), c.get("requestId"), Date.now(), defer), 200);
  },
);
