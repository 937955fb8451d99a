import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, ifMatchHeader, jsonBody, jsonContent, pageOf, PageQuery } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { optionalIfMatch } from "../admin-catalog/shared";
import {
  CreatedWebhookEndpoint,
  CreateWebhookBody,
  DeliveryQuery,
  Redelivery,
  RotatedSecret,
  RotateSecretBody,
  TestPingResult,
  UpdateWebhookBody,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookIdParam,
} from "./schemas";
import * as webhooks from "./service";

export const webhookAdminRoutes = createRouter();
const base = { tags: ["Admin: webhooks"], middleware: requireAdmin("webhooks"), security: adminSecurity };
const IfMatchHeader = ifMatchHeader(false);

webhookAdminRoutes.openapi(
  createRoute({
    ...base,
    method: "post",
    path: "/webhooks",
    summary: "Create a webhook endpoint (its signing secret is shown once)",
    request: { body: jsonBody(CreateWebhookBody) },
    responses: { 201: jsonContent(CreatedWebhookEndpoint, "Created"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => c.json(await webhooks.createEndpoint(c.env, c.req.valid("json")), 201),
);

webhookAdminRoutes.openapi(
  createRoute({
    ...base,
    method: "get",
    path: "/webhooks",
    summary: "Webhook endpoints, newest first",
    request: { query: PageQuery },
    responses: { 200: jsonContent(pageOf(WebhookEndpoint), "Endpoints"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => c.json(await webhooks.listEndpoints(c.env, c.req.valid("query")), 200),
);

webhookAdminRoutes.openapi(
  createRoute({
    ...base,
    method: "get",
    path: "/webhooks/{id}",
    summary: "One webhook endpoint (never its secret)",
    request: { params: WebhookIdParam },
    responses: { 200: jsonContent(WebhookEndpoint, "Endpoint"), ...errorResponses(401, 403, 404, 422) },
  }),
  async (c) => c.json(await webhooks.getEndpoint(c.env, c.req.valid("param").id), 200),
);

webhookAdminRoutes.openapi(
  createRoute({
    ...base,
    method: "patch",
    path: "/webhooks/{id}",
    summary: "Change url, events or description; enable or disable",
    request: { params: WebhookIdParam, headers: IfMatchHeader, body: jsonBody(UpdateWebhookBody) },
    responses: { 200: jsonContent(WebhookEndpoint, "Endpoint"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => {
    const expected = optionalIfMatch(c.req.header("If-Match"));
    return c.json(await webhooks.updateEndpoint(c.env, c.req.valid("param").id, expected, c.req.valid("json")), 200);
  },
);

webhookAdminRoutes.openapi(
  createRoute({
    ...base,
    method: "delete",
    path: "/webhooks/{id}",
    summary: "Delete a webhook endpoint and its delivery log",
    request: { params: WebhookIdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404, 422) },
  }),
  async (c) => {
    await webhooks.deleteEndpoint(c.env, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

webhookAdminRoutes.openapi(
  createRoute({
    ...base,
    method: "post",
    path: "/webhooks/{id}/rotate-secret",
    summary: "New signing secret (shown once); the old one keeps signing during the grace period",
    request: { params: WebhookIdParam, body: { required: false, content: { "application/json": { schema: RotateSecretBody } } } },
    responses: { 200: jsonContent(RotatedSecret, "The new secret"), ...errorResponses(400, 401, 403, 404, 422) },
  }),
  async (c) => c.json(await webhooks.rotateSecret(c.env, c.req.valid("param").id, (c.req.valid("json") ?? {}).gracePeriodSeconds), 200),
);

webhookAdminRoutes.openapi(
  createRoute({
    ...base,
    method: "post",
    path: "/webhooks/{id}/test",
    summary: "Send a `ping` event to this endpoint (watch its deliveries for the result)",
    request: { params: WebhookIdParam },
    responses: { 202: jsonContent(TestPingResult, "Queued"), ...errorResponses(401, 403, 404, 409, 422) },
  }),
  async (c) => c.json(await webhooks.sendTestPing(c.env, c.req.valid("param").id), 202),
);

webhookAdminRoutes.openapi(
  createRoute({
    ...base,
    method: "get",
    path: "/webhooks/{id}/deliveries",
    summary: "The endpoint's delivery log, newest first, optionally by status",
    request: { params: WebhookIdParam, query: DeliveryQuery },
    responses: { 200: jsonContent(pageOf(WebhookDelivery), "Deliveries"), ...errorResponses(400, 401, 403, 404, 422) },
  }),
  async (c) => c.json(await webhooks.listDeliveries(c.env, c.req.valid("param").id, c.req.valid("query")), 200),
);

webhookAdminRoutes.openapi(
  createRoute({
    ...base,
    method: "post",
    path: "/webhooks/deliveries/{id}/redeliver",
    summary: "Send a delivery again with the same webhook-id and body, on a fresh retry schedule",
    request: { params: WebhookIdParam },
    responses: { 202: jsonContent(Redelivery, "Queued"), ...errorResponses(401, 403, 404, 409, 422) },
  }),
  async (c) => c.json(await webhooks.redeliver(c.env, c.req.valid("param").id), 202),
);
