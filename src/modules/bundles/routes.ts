import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, jsonBody, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { Bundle, ProductParam, PutBundleBody } from "./schemas";
import * as bundles from "./service";

export const adminBundleRoutes = createRouter();
const base = { middleware: requireAdmin("catalog"), security: adminSecurity, tags: ["Admin: catalog"] };

adminBundleRoutes.openapi(
  createRoute({
    ...base, method: "get", path: "/products/{id}/bundle", summary: "A bundle product's choice sets",
    request: { params: ProductParam },
    responses: { 200: jsonContent(Bundle, "The sets (none: not a bundle)"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => c.json(await bundles.getBundle(c.env, c.req.valid("param").id), 200),
);

adminBundleRoutes.openapi(
  createRoute({
    ...base, method: "put", path: "/products/{id}/bundle", summary: "Define (replace) a bundle's choice sets; the product becomes a bundle",
    request: { params: ProductParam, body: jsonBody(PutBundleBody) },
    responses: { 200: jsonContent(Bundle, "The sets"), ...errorResponses(400, 401, 403, 404, 422) },
  }),
  async (c) => c.json(await bundles.putBundle(c.env, c.req.valid("param").id, c.req.valid("json")), 200),
);
