import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { marketOf } from "../../http/middleware/market";
import { errorResponses, jsonContent, pageOf } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { catalogMarketOf } from "../markets/context";
import { readContext, sendCached } from "./http-cache";
import { CategoryTree, Collection, IdOrSlugParam, Product, ProductListQuery, ProductPage } from "./schemas";
import * as catalog from "./service";

export const catalogRoutes = createRouter();
const tags = ["Store: catalog"];
const cacheHeaders = {
  ETag: { schema: { type: "string" as const }, description: "Content hash; send back as If-None-Match" },
  "X-Cache": { schema: { type: "string" as const }, description: "HIT-MEMORY, HIT-KV or MISS" },
  "X-Region": { schema: { type: "string" as const }, description: "The region the answer is priced in (?region, X-Region, the request's country, or the default)" },
  "Content-Language": { schema: { type: "string" as const }, description: "The language of titles and descriptions (?locale or Accept-Language, else the default)" },
};
const cached = <T extends z.ZodType>(schema: T, description: string) => ({
  ...jsonContent(schema, description),
  headers: cacheHeaders,
});
const notModified = { 304: { description: "Not modified (If-None-Match matched the ETag)" } };

catalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/products",
    tags,
    summary: "Browse and search active products",
    request: { query: ProductListQuery },
    responses: { 200: cached(ProductPage, "A page of products"), ...notModified, ...errorResponses(400, 422, 429) },
  }),
  async (c) => sendCached(c, await catalog.listProducts(readContext(c), c.req.valid("query"), catalogMarketOf(marketOf(c)))),
);

catalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/products/{idOrSlug}",
    tags,
    summary: "One active product by id or slug",
    request: { params: IdOrSlugParam },
    responses: { 200: cached(Product, "The product"), ...notModified, ...errorResponses(404, 429) },
  }),
  async (c) => sendCached(c, await catalog.getProduct(readContext(c), c.req.valid("param").idOrSlug, catalogMarketOf(marketOf(c)))),
);

catalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/categories",
    tags,
    summary: "The category tree",
    responses: { 200: cached(pageOf(CategoryTree), "Root categories with their children"), ...notModified },
  }),
  async (c) => sendCached(c, await catalog.listCategories(readContext(c), catalogMarketOf(marketOf(c)))),
);

catalogRoutes.openapi(
  createRoute({
    method: "get",
    path: "/collections",
    tags,
    summary: "Collections",
    responses: { 200: cached(pageOf(Collection), "Collections"), ...notModified },
  }),
  async (c) => sendCached(c, await catalog.listCollections(readContext(c), catalogMarketOf(marketOf(c)))),
);
