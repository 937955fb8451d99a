import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, errorResponses, jsonContent } from "../../http/openapi";
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
