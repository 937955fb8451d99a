import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, ifMatchHeader, jsonBody, jsonContent, pageOf } from "../../http/openapi";
import { createRouter } from "../../http/router";
import {
  AdminCategory,
  AdminCollection,
  CollectionProductsBody,
  CreateCategoryBody,
  CreateCollectionBody,
  IdParam,
  IncludeDeletedQuery,
  UpdateCategoryBody,
  UpdateCollectionBody,
} from "./schemas";
import { optionalIfMatch } from "./shared";
import { sendNoContent, sendVersioned } from "./responses";
import * as taxonomy from "./taxonomy-service";

export const adminTaxonomyRoutes = createRouter();
const guard = requireAdmin("catalog");
const base = { middleware: guard, security: adminSecurity };
const ifMatch = ifMatchHeader(false);

for (const kind of ["categories", "collections"] as const) {
  adminTaxonomyRoutes.openapi(
    createRoute({
      ...base, method: "delete", path: `/${kind}/{id}`, tags: [`Admin: ${kind}`], summary: `Soft-delete one of the ${kind}`,
      request: { params: IdParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => sendNoContent(c, await taxonomy.setDeleted(c.env, kind, c.req.valid("param").id, true)),
  );
}

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "post", path: "/categories", tags: ["Admin: categories"], summary: "Create a category",
    request: { body: jsonBody(CreateCategoryBody) },
    responses: { 201: jsonContent(AdminCategory, "Created"), ...errorResponses(400, 401, 403, 409, 422) },
  }),
  async (c) => sendVersioned(c, await taxonomy.createCategory(c.env, c.req.valid("json")), 201),
);

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "get", path: "/categories", tags: ["Admin: categories"], summary: "List categories (flat)",
    request: { query: IncludeDeletedQuery },
    responses: { 200: jsonContent(pageOf(AdminCategory), "Categories"), ...errorResponses(401, 403) },
  }),
  async (c) => c.json(await taxonomy.listCategories(c.env, c.req.valid("query").includeDeleted), 200),
);

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "get", path: "/categories/{id}", tags: ["Admin: categories"], summary: "One category",
    request: { params: IdParam },
    responses: { 200: jsonContent(AdminCategory, "The category"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const category = await taxonomy.getCategory(c.env, c.req.valid("param").id);
    c.header("ETag", `"${category.version}"`);
    return c.json(category, 200);
  },
);

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "patch", path: "/categories/{id}", tags: ["Admin: categories"], summary: "Update a category (move, rename)",
    request: { params: IdParam, headers: ifMatch, body: jsonBody(UpdateCategoryBody) },
    responses: { 200: jsonContent(AdminCategory, "Updated"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => {
    const expected = optionalIfMatch(c.req.header("If-Match"));
    return sendVersioned(c, await taxonomy.updateCategory(c.env, c.req.valid("param").id, expected, c.req.valid("json")), 200);
  },
);

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "post", path: "/categories/{id}/restore", tags: ["Admin: categories"], summary: "Restore a category",
    request: { params: IdParam },
    responses: { 200: jsonContent(AdminCategory, "Restored"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => sendVersioned(c, await taxonomy.restoreCategory(c.env, c.req.valid("param").id), 200),
);

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "post", path: "/collections", tags: ["Admin: collections"], summary: "Create a collection",
    request: { body: jsonBody(CreateCollectionBody) },
    responses: { 201: jsonContent(AdminCollection, "Created"), ...errorResponses(400, 401, 403, 409, 422) },
  }),
  async (c) => sendVersioned(c, await taxonomy.createCollection(c.env, c.req.valid("json")), 201),
);

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "get", path: "/collections", tags: ["Admin: collections"], summary: "List collections",
    request: { query: IncludeDeletedQuery },
    responses: { 200: jsonContent(pageOf(AdminCollection), "Collections (productIds only on the single read)"), ...errorResponses(401, 403) },
  }),
  async (c) => c.json(await taxonomy.listCollections(c.env, c.req.valid("query").includeDeleted), 200),
);

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "get", path: "/collections/{id}", tags: ["Admin: collections"], summary: "One collection with its product ids",
    request: { params: IdParam },
    responses: { 200: jsonContent(AdminCollection, "The collection"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const collection = await taxonomy.getCollection(c.env, c.req.valid("param").id);
    c.header("ETag", `"${collection.version}"`);
    return c.json(collection, 200);
  },
);

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "patch", path: "/collections/{id}", tags: ["Admin: collections"], summary: "Update a collection",
    request: { params: IdParam, headers: ifMatch, body: jsonBody(UpdateCollectionBody) },
    responses: { 200: jsonContent(AdminCollection, "Updated"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => {
    const expected = optionalIfMatch(c.req.header("If-Match"));
    return sendVersioned(c, await taxonomy.updateCollection(c.env, c.req.valid("param").id, expected, c.req.valid("json")), 200);
  },
);

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "post", path: "/collections/{id}/restore", tags: ["Admin: collections"], summary: "Restore a collection",
    request: { params: IdParam },
    responses: { 200: jsonContent(AdminCollection, "Restored"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => sendVersioned(c, await taxonomy.restoreCollection(c.env, c.req.valid("param").id), 200),
);

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "post", path: "/collections/{id}/products", tags: ["Admin: collections"], summary: "Add products to a collection",
    request: { params: IdParam, body: jsonBody(CollectionProductsBody) },
    responses: { 200: jsonContent(AdminCollection, "The collection"), ...errorResponses(400, 401, 403, 404, 422) },
  }),
  async (c) => sendVersioned(c, await taxonomy.addProducts(c.env, c.req.valid("param").id, c.req.valid("json").productIds), 200),
);

adminTaxonomyRoutes.openapi(
  createRoute({
    ...base, method: "delete", path: "/collections/{id}/products/{productId}", tags: ["Admin: collections"], summary: "Remove a product from a collection",
    request: { params: IdParam.extend({ productId: z.string().min(1).max(64) }) },
    responses: { 204: { description: "Removed" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const { id, productId } = c.req.valid("param");
    return sendNoContent(c, await taxonomy.removeProduct(c.env, id, productId));
  },
);
