import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, ifMatchHeader, jsonBody, jsonContent, pageOf } from "../../http/openapi";
import { createRouter } from "../../http/router";
import * as products from "./product-service";
import { sendNoContent, sendVersioned } from "./responses";
import { AdminProduct, AdminProductQuery, AdminVariant, CreateProductBody, CreateVariantBody, IdParam, UpdateProductBody, UpdateVariantBody } from "./schemas";
import { parseIfMatch } from "./shared";

export const adminProductRoutes = createRouter();
const tags = ["Admin: catalog"];
const guard = requireAdmin("catalog");
const ifMatch = ifMatchHeader(true);

adminProductRoutes.openapi(
  createRoute({
    method: "post", path: "/products", tags, summary: "Create a product with variants and stock", middleware: guard, security: adminSecurity,
    request: { body: jsonBody(CreateProductBody) },
    responses: { 201: jsonContent(AdminProduct, "Created"), ...errorResponses(400, 401, 403, 409, 422) },
  }),
  async (c) => sendVersioned(c, await products.createProduct(c.env, c.req.valid("json")), 201),
);

adminProductRoutes.openapi(
  createRoute({
    method: "get", path: "/products", tags, summary: "List products (any status)", middleware: guard, security: adminSecurity,
    request: { query: AdminProductQuery },
    responses: { 200: jsonContent(pageOf(AdminProduct), "Products"), ...errorResponses(401, 403, 422) },
  }),
  async (c) => c.json(await products.listProducts(c.env, c.req.valid("query")), 200),
);

adminProductRoutes.openapi(
  createRoute({
    method: "get", path: "/products/{id}", tags, summary: "One product, deleted ones included", middleware: guard, security: adminSecurity,
    request: { params: IdParam },
    responses: { 200: jsonContent(AdminProduct, "The product; ETag is its version"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const product = await products.getProduct(c.env, c.req.valid("param").id);
    c.header("ETag", `"${product.version}"`);
    return c.json(product, 200);
  },
);

adminProductRoutes.openapi(
  createRoute({
    method: "patch", path: "/products/{id}", tags, summary: "Update a product (If-Match required)", middleware: guard, security: adminSecurity,
    request: { params: IdParam, headers: ifMatch, body: jsonBody(UpdateProductBody) },
    responses: { 200: jsonContent(AdminProduct, "Updated; new version"), ...errorResponses(400, 401, 403, 404, 409, 422, 428) },
  }),
  async (c) => {
    const version = parseIfMatch(c.req.header("If-Match"));
    return sendVersioned(c, await products.updateProduct(c.env, c.req.valid("param").id, version, c.req.valid("json")), 200);
  },
);

adminProductRoutes.openapi(
  createRoute({
    method: "delete", path: "/products/{id}", tags, summary: "Soft-delete a product", middleware: guard, security: adminSecurity,
    request: { params: IdParam },
    responses: { 204: { description: "Deleted (kept for past orders)" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => sendNoContent(c, await products.deleteProduct(c.env, c.req.valid("param").id)),
);

adminProductRoutes.openapi(
  createRoute({
    method: "post", path: "/products/{id}/restore", tags, summary: "Restore a soft-deleted product", middleware: guard, security: adminSecurity,
    request: { params: IdParam },
    responses: { 200: jsonContent(AdminProduct, "Restored"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => sendVersioned(c, await products.restoreProduct(c.env, c.req.valid("param").id), 200),
);

adminProductRoutes.openapi(
  createRoute({
    method: "post", path: "/products/{id}/variants", tags, summary: "Add a variant with stock", middleware: guard, security: adminSecurity,
    request: { params: IdParam, body: jsonBody(CreateVariantBody) },
    responses: { 201: jsonContent(AdminVariant, "Created"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => sendVersioned(c, await products.addVariant(c.env, c.req.valid("param").id, c.req.valid("json")), 201),
);

adminProductRoutes.openapi(
  createRoute({
    method: "patch", path: "/variants/{id}", tags, summary: "Update a variant (If-Match required)", middleware: guard, security: adminSecurity,
    request: { params: IdParam, headers: ifMatch, body: jsonBody(UpdateVariantBody) },
    responses: { 200: jsonContent(AdminVariant, "Updated; new version"), ...errorResponses(400, 401, 403, 404, 409, 422, 428) },
  }),
  async (c) => {
    const version = parseIfMatch(c.req.header("If-Match"));
    return sendVersioned(c, await products.updateVariant(c.env, c.req.valid("param").id, version, c.req.valid("json")), 200);
  },
);

adminProductRoutes.openapi(
  createRoute({
    method: "delete", path: "/variants/{id}", tags, summary: "Soft-delete a variant", middleware: guard, security: adminSecurity,
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => sendNoContent(c, await products.deleteVariant(c.env, c.req.valid("param").id)),
);
