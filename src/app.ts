/**
 * Builds the Hono app: error envelope, middleware order, route groups, /openapi.json and /docs.
 * `createApp()` is what the Worker serves and what tests and the route-table walkers inspect.
 */
import { adminBundleRoutes } from "./modules/bundles/routes";
import { documentGraphQL, graphqlRoutes } from "./graphql/routes";
import { adminGroupRoutes } from "./modules/admin-pricing/group-routes";
import { adminPromoRoutes } from "./modules/admin-pricing/promo-routes";
import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { HTTPException } from "hono/http-exception";
import { docsPage } from "./http/docs-page";
import { reportError, scrub } from "./http/error-reporting";
import { AppError, errorBody, type ErrorCode } from "./lib/errors";
import { bodyLimitFromConfig } from "./http/middleware/body-limit";
import { corsFromConfig } from "./http/middleware/cors";
import { d1TripsHeader } from "./http/middleware/d1-trips";
import { placeWrites } from "./http/middleware/placement";
import { rateLimit } from "./http/middleware/rate-limit";
import { requestContext } from "./http/middleware/request-context";
import { marketContext } from "./http/middleware/market";
import { securityHeaders } from "./http/middleware/security-headers";
import { jsonContent } from "./http/openapi";
import { validationHook } from "./http/router";
import type { AppEnv } from "./http/types";
import { adminAnalyticsRoutes } from "./modules/analytics/routes";
import { apiKeyRoutes } from "./modules/api-keys/routes";
import { authRoutes } from "./modules/auth/routes";
import { accountRoutes, adminEmailRoutes } from "./modules/notifications/routes";
import { adminDeadLetterRoutes } from "./modules/dead-letters/routes";
import { adminOrderRoutes } from "./modules/admin-orders/routes";
import { cartRoutes } from "./modules/cart/routes";
import { addressRoutes } from "./modules/addresses/routes";
import { adminMarketRoutes } from "./modules/markets/admin-routes";
import { marketStoreRoutes } from "./modules/markets/store-routes";
import { checkoutRoutes } from "./modules/checkout/routes";
import { inventoryRoutes } from "./modules/inventory/routes";
import { orderRoutes } from "./modules/orders/routes";
import { paymentWebhookRoutes } from "./modules/payments/routes";
import { adminProductRoutes } from "./modules/admin-catalog/product-routes";
import { adminTaxonomyRoutes } from "./modules/admin-catalog/taxonomy-routes";
import { catalogRoutes } from "./modules/catalog/routes";
import { RateLimitedError } from "./modules/rate-limit/headers";
import { recommendationRoutes } from "./modules/recommendations/routes";
import { adminRefundRoutes } from "./modules/refunds/routes";
import { reviewAdminRoutes, reviewStoreRoutes } from "./modules/reviews/routes";
import { webhookAdminRoutes } from "./modules/webhooks/routes";
import { giftCardAdminRoutes, giftCardStoreRoutes } from "./modules/gift-cards/routes";
import { returnAdminRoutes, returnStoreRoutes } from "./modules/returns/routes";
import { wishlistAdminRoutes, wishlistStoreRoutes } from "./modules/wishlists/routes";
import { webhooksSection } from "./modules/webhooks/document";
import { WebhookPayload } from "./modules/webhooks/schemas";
import { finishDocument } from "./http/openapi-document";
import { allowedMethodsOf, type AllowedMethods } from "./http/method-not-allowed";

const STATUS_CODES: Record<number, ErrorCode> = {
  400: "VALIDATION_ERROR",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  415: "VALIDATION_ERROR",
  413: "PAYLOAD_TOO_LARGE",
  429: "RATE_LIMITED",
};

function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException && err.status < 500) {
    const code = STATUS_CODES[err.status] ?? "VALIDATION_ERROR";
    return new AppError(code, err.message || "Bad request", err.status);
  }
  return null;
}

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? crypto.randomUUID();
    const known = toAppError(err);
    if (known) {
      const res = c.json(errorBody(known, requestId), known.status);
      if (known instanceof RateLimitedError) for (const [name, value] of Object.entries(known.headers)) res.headers.set(name, value);
      return res;
    }
    // Faults are logged by name only (messages can carry SQL or user data) and never echoed.
    c.get("logger")?.error("unhandled_error", {
      name: err instanceof Error ? err.name : typeof err,
      message: err instanceof Error ? scrub(err.message).slice(0, 300) : null,
    });
    reportError(c, err);
    return c.json(errorBody(new AppError("INTERNAL", "Internal error", 500), requestId), 500);
  });
  // The route table is complete once createApp returns; the first unmatched request reads it.
  let allowedMethods: AllowedMethods | undefined;
  app.notFound((c) => {
    const requestId = c.get("requestId") ?? crypto.randomUUID();
    const allowed = (allowedMethods ??= allowedMethodsOf(app.routes))(c.req.path);
    if (allowed.length > 0) {
      c.header("Allow", allowed.join(", "));
      return c.json(errorBody(new AppError("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed here`, 405, { allow: allowed }), requestId), 405);
    }
    return c.json(errorBody(new AppError("NOT_FOUND", "Route not found", 404), requestId), 404);
  });

  app.use("*", placeWrites, requestContext, d1TripsHeader, securityHeaders, corsFromConfig, rateLimit, bodyLimitFromConfig);
  app.use("/api/v1/store/*", marketContext);
  app.use("/graphql", marketContext);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyAuth", {
    type: "apiKey",
    in: "header",
    name: "X-Api-Key",
  });

  app.openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      tags: ["Meta"],
      summary: "Liveness",
      responses: { 200: jsonContent(z.object({ status: z.literal("ok") }), "Alive") },
    }),
    (c) => c.json({ status: "ok" as const }, 200),
  );

  app.route("/api/v1/auth", authRoutes);
  app.route("/api/v1/admin", apiKeyRoutes);
  app.route("/api/v1/admin", adminEmailRoutes);
  app.route("/api/v1/admin", adminDeadLetterRoutes);
  app.route("/api/v1/admin", adminAnalyticsRoutes);
  app.route("/api/v1/store", accountRoutes);
  app.route("/api/v1/admin", inventoryRoutes);
  app.route("/api/v1/store", cartRoutes);
  app.route("/api/v1/store", checkoutRoutes);
  app.route("/api/v1/store", orderRoutes);
  app.route("/api/v1/admin", adminOrderRoutes);
  app.route("/api/v1/admin", adminRefundRoutes);
  app.route("/api/v1/webhooks", paymentWebhookRoutes);
  app.route("/api/v1/store", catalogRoutes);
  app.route("/api/v1/admin", adminProductRoutes);
  app.route("/api/v1/admin", adminTaxonomyRoutes);
  app.route("/api/v1/store", reviewStoreRoutes);
  app.route("/api/v1/store", recommendationRoutes);
  app.route("/api/v1/admin", reviewAdminRoutes);
  app.route("/api/v1/admin", adminGroupRoutes);
  app.route("/api/v1/admin", adminPromoRoutes);
  app.route("/api/v1/admin", adminBundleRoutes);
  app.route("/api/v1/admin", webhookAdminRoutes);
  app.route("/api/v1/store", marketStoreRoutes);
  app.route("/api/v1/store", addressRoutes);
  app.route("/api/v1/admin", adminMarketRoutes);
  app.route("/api/v1/store", returnStoreRoutes);
  app.route("/api/v1/admin", returnAdminRoutes);
  app.route("/api/v1/store", giftCardStoreRoutes);
  app.route("/api/v1/admin", giftCardAdminRoutes);
  app.route("/api/v1/store", wishlistStoreRoutes);
  app.route("/api/v1/admin", wishlistAdminRoutes);
  app.route("/", graphqlRoutes);
  documentGraphQL(app);

  app.openAPIRegistry.register("WebhookPayload", WebhookPayload);
  // Built once per isolate: the document depends only on the code.
  let document: Record<string, unknown> | undefined;
  app.get("/openapi.json", (c) => {
    document ??= finishDocument({
      ...app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "Edgeshop API",
          version: "1.0.0",
          description: "E-commerce backend at the edge. Errors share one envelope; money is integer minor units.",
        },
        // Relative: the API is where this document is served, on every machine alike.
        servers: [{ url: "/", description: "This server" }],
      }),
      webhooks: webhooksSection(),
    });
    return c.json(document);
  });
  app.get("/docs", docsPage);

  return app;
}
