import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, jsonBody, jsonContent, pageOf, PageQuery } from "../../http/openapi";
import { createRouter } from "../../http/router";
import type { AppEnv } from "../../http/types";
import { parseIfMatch } from "../admin-catalog/shared";
import * as discounts from "./discounts-service";
import * as lists from "./price-lists-service";
import {
  CreateDiscountBody,
  CreatePriceListBody,
  Discount,
  IdParam,
  PriceList,
  UpdateDiscountBody,
  UpdatePriceListBody,
  VersionHeader,
} from "./schemas";

/** Price lists (area "pricing") and discounts (area "promotions"): versioned rows, If-Match on PATCH. */
export const adminPromoRoutes = createRouter();

function withEtag<T extends { version: number }, S extends 200 | 201>(c: Context<AppEnv>, value: T, status: S) {
  c.header("ETag", `"${value.version}"`);
  // The loop below registers two resources with one handler; each service answers its own schema.
  return c.json(value as never, status);
}

const resources = [
  { path: "price-lists", area: "pricing", tag: "Admin: price lists", item: PriceList, create: CreatePriceListBody, update: UpdatePriceListBody, service: lists },
  { path: "discounts", area: "promotions", tag: "Admin: discounts", item: Discount, create: CreateDiscountBody, update: UpdateDiscountBody, service: discounts },
] as const;

type Service = {
  create: (env: Env, input: never) => Promise<{ version: number }>;
  list: (env: Env, page: { limit: number; cursor?: string }) => Promise<unknown>;
  get: (env: Env, id: string) => Promise<{ version: number }>;
  update: (env: Env, id: string, expected: number, input: never) => Promise<{ version: number }>;
  remove: (env: Env, id: string) => Promise<void>;
};

const services: Record<(typeof resources)[number]["path"], Service> = {
  "price-lists": { create: lists.createPriceList, list: lists.listPriceLists, get: lists.getPriceList, update: lists.updatePriceList, remove: lists.deletePriceList },
  discounts: { create: discounts.createDiscount, list: discounts.listDiscounts, get: discounts.getDiscount, update: discounts.updateDiscount, remove: discounts.deleteDiscount },
};

for (const r of resources) {
  const base = { middleware: requireAdmin(r.area), security: adminSecurity, tags: [r.tag] };
  const svc = services[r.path];
  adminPromoRoutes.openapi(
    createRoute({
      ...base, method: "post", path: `/${r.path}`, summary: `Create one of the ${r.path}`,
      request: { body: jsonBody(r.create) },
      responses: { 201: jsonContent(r.item, "Created, with version 1"), ...errorResponses(400, 401, 403, 409, 422) },
    }),
    async (c) => withEtag(c, await svc.create(c.env, c.req.valid("json") as never), 201),
  );
  adminPromoRoutes.openapi(
    createRoute({
      ...base, method: "get", path: `/${r.path}`, summary: `List ${r.path}, newest first`,
      request: { query: PageQuery },
      responses: { 200: jsonContent(pageOf(r.item), "A page"), ...errorResponses(400, 401, 403, 422) },
    }),
    async (c) => c.json((await svc.list(c.env, c.req.valid("query"))) as never, 200),
  );
  adminPromoRoutes.openapi(
    createRoute({
      ...base, method: "get", path: `/${r.path}/{id}`, summary: `One of the ${r.path}`,
      request: { params: IdParam },
      responses: { 200: jsonContent(r.item, "Found"), ...errorResponses(401, 403, 404) },
    }),
    async (c) => withEtag(c, await svc.get(c.env, c.req.valid("param").id), 200),
  );
  adminPromoRoutes.openapi(
    createRoute({
      ...base, method: "patch", path: `/${r.path}/{id}`, summary: `Update one of the ${r.path} (If-Match required)`,
      request: { params: IdParam, headers: VersionHeader, body: jsonBody(r.update) },
      responses: { 200: jsonContent(r.item, "Updated, with the new version"), ...errorResponses(400, 401, 403, 404, 409, 422, 428) },
    }),
    async (c) => {
      const expected = parseIfMatch(c.req.header("If-Match"));
      return withEtag(c, await svc.update(c.env, c.req.valid("param").id, expected, c.req.valid("json") as never), 200);
    },
  );
  adminPromoRoutes.openapi(
    createRoute({
      ...base, method: "delete", path: `/${r.path}/{id}`, summary: `Soft-delete one of the ${r.path}`,
      request: { params: IdParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      await svc.remove(c.env, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
}
