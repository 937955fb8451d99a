import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { errorResponses, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { handlePaymentWebhook } from "./webhook";

export const paymentWebhookRoutes = createRouter();

paymentWebhookRoutes.openapi(
  createRoute({
    method: "post",
    path: "/payments",
    tags: ["Webhooks"],
    summary: "Payment provider events (Stripe-compatible, signed)",
    description:
      "Header `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 over \"t.body\" with PAYMENT_WEBHOOK_SECRET>`. " +
      "Bad signatures and timestamps older than 5 minutes are refused. The body is read raw (the signature covers its bytes).",
    // Documented, not validated by zod: the handler checks the signature over the raw bytes first (400 when it fails).
    request: {
      headers: z.object({
        "stripe-signature": z.string().optional().openapi({ param: { required: true }, description: "t=<unix seconds>,v1=<hex HMAC-SHA256>", example: "t=1700000000,v1=5257a869e7ec…" }),
      }),
      body: {
        required: true,
        content: {
          "application/json": {
            schema: {
              type: "object",
              description: "A Stripe-compatible event (payment_intent.succeeded, payment_intent.payment_failed, charge.refunded …)",
              required: ["id", "type", "data"],
              properties: {
                id: { type: "string", example: "evt_1" },
                type: { type: "string", example: "payment_intent.succeeded" },
                created: { type: "integer" },
                data: { type: "object", required: ["object"], properties: { object: { type: "object", additionalProperties: true } } },
              },
            },
          },
        },
      },
    },
    responses: {
      200: jsonContent(z.object({ received: z.boolean(), handled: z.boolean() }), "Accepted"),
      ...errorResponses(400, 413),
    },
  }),
  async (c) => {
    const raw = await c.req.text();
    return c.json(await handlePaymentWebhook(c.env, c.req.header("Stripe-Signature"), raw, c.get("requestId")), 200);
  },
);
