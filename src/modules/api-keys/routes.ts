import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, jsonBody, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { ApiKey, CreateApiKeyBody, CreatedApiKey } from "./schemas";
import * as apiKeys from "./service";

export const apiKeyRoutes = createRouter();
const tags = ["Admin: API keys"];
const guard = requireAdmin("api-keys");

apiKeyRoutes.openapi(
  createRoute({
    method: "post",
    path: "/api-keys",
    tags,
    summary: "Create an API key (the key is shown once)",
    middleware: guard,
    security: adminSecurity,
    request: { body: jsonBody(CreateApiKeyBody) },
    responses: { 201: jsonContent(CreatedApiKey, "Created"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => c.json(await apiKeys.createApiKey(c.env, c.get("principal")!, c.req.valid("json")), 201),
);

apiKeyRoutes.openapi(
  createRoute({
    method: "get",
    path: "/api-keys",
    tags,
    summary: "List live API keys (never the keys themselves)",
    middleware: guard,
    security: adminSecurity,
    responses: { 200: jsonContent(z.object({ data: z.array(ApiKey) }), "Keys"), ...errorResponses(401, 403) },
  }),
  async (c) => c.json({ data: await apiKeys.listApiKeys(c.env) }, 200),
);

apiKeyRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/api-keys/{id}",
    tags,
    summary: "Revoke an API key",
    middleware: guard,
    security: adminSecurity,
    request: { params: z.object({ id: z.string().max(64) }) },
    responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    await apiKeys.deleteApiKey(c.env, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
