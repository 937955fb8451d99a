import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import type { Context } from "hono";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, jsonBody, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import type { AppEnv } from "../../http/types";
import type { Written } from "../admin-catalog/shared";
import * as admin from "./admin-service";
import {
  AdminRegion,
  CreateRegionBody,
  CreateShippingMethodBody,
  CreateTaxRateBody,
  IdParam,
  RegionParam,
  ShippingMethod,
  ShippingMethodQuery,
  TaxRate,
  Translation,
  TranslationBody,
  TranslationParam,
  UpdateRegionBody,
  UpdateShippingMethodBody,
  UpdateTaxRateBody,
} from "./schemas";
import * as translations from "./translations";

/** Regions, tax rates and shipping methods (area "markets"); translations of catalog text (area "catalog"). */
export const adminMarketRoutes = createRouter();
const markets = { middleware: requireAdmin("markets"), security: adminSecurity };
const catalog = { middleware: requireAdmin("catalog"), security: adminSecurity };

function send<T, S extends 200 | 201>(c: Context<AppEnv>, written: Written<T>, status: S) {
  if (written.bookmark) c.header("X-D1-Bookmark", written.bookmark);
  return c.json(written.value as never, status);
}
function sendEmpty(c: Context<AppEnv>, written: Written<null>) {
  if (written.bookmark) c.header("X-D1-Bookmark", written.bookmark);
  return c.body(null, 204);
}
const deleted = { 204: { description: "Deleted" } };

// ── Regions ──────────────────────────────────────────────────────────────────
const regionTags = ["Admin: regions"];
adminMarketRoutes.openapi(
  createRoute({ ...markets, tags: regionTags, method: "get", path: "/regions", summary: "Regions, in display order", responses: { 200: jsonContent(z.array(AdminRegion), "Regions"), ...errorResponses(401, 403) } }),
  async (c) => c.json(await admin.listRegions(c.env), 200),
);
adminMarketRoutes.openapi(
  createRoute({
    ...markets, tags: regionTags, method: "post", path: "/regions", summary: "Create a region (the first one, or one with isDefault, becomes the default)",
    request: { body: jsonBody(CreateRegionBody) },
    responses: { 201: jsonContent(AdminRegion, "Created"), ...errorResponses(400, 401, 403, 409, 422) },
  }),
  async (c) => send(c, await admin.createRegion(c.env, c.req.valid("json")), 201),
);
adminMarketRoutes.openapi(
  createRoute({ ...markets, tags: regionTags, method: "get", path: "/regions/{code}", summary: "One region", request: { params: RegionParam }, responses: { 200: jsonContent(AdminRegion, "Region"), ...errorResponses(401, 403, 404, 422) } }),
  async (c) => c.json(await admin.getRegion(c.env, c.req.valid("param").code), 200),
);
adminMarketRoutes.openapi(
  createRoute({
    ...markets, tags: regionTags, method: "patch", path: "/regions/{code}", summary: "Change a region (carts in it move to a new currency on their next request)",
    request: { params: RegionParam, body: jsonBody(UpdateRegionBody) },
    responses: { 200: jsonContent(AdminRegion, "Region"), ...errorResponses(400, 401, 403, 404, 422) },
  }),
  async (c) => send(c, await admin.updateRegion(c.env, c.req.valid("param").code, c.req.valid("json")), 200),
);
adminMarketRoutes.openapi(
  createRoute({
    ...markets, tags: regionTags, method: "delete", path: "/regions/{code}", summary: "Delete a region and its shipping methods (not the default: 409)",
    request: { params: RegionParam },
    responses: { ...deleted, ...errorResponses(401, 403, 404, 409, 422) },
  }),
  async (c) => sendEmpty(c, await admin.deleteRegion(c.env, c.req.valid("param").code)),
);

// ── Tax rates ────────────────────────────────────────────────────────────────
const taxTags = ["Admin: tax rates"];
adminMarketRoutes.openapi(
  createRoute({ ...markets, tags: taxTags, method: "get", path: "/tax-rates", summary: "Tax rates by place and category", responses: { 200: jsonContent(z.array(TaxRate), "Rates"), ...errorResponses(401, 403) } }),
  async (c) => c.json(await admin.listTaxRates(c.env), 200),
);
adminMarketRoutes.openapi(
  createRoute({
    ...markets, tags: taxTags, method: "post", path: "/tax-rates",
    summary: "Add a rate for a country (or one of its provinces) and a tax category; category shipping taxes shipping there",
    request: { body: jsonBody(CreateTaxRateBody) },
    responses: { 201: jsonContent(TaxRate, "Created"), ...errorResponses(400, 401, 403, 409, 422) },
  }),
  async (c) => send(c, await admin.createTaxRate(c.env, c.req.valid("json")), 201),
);
adminMarketRoutes.openapi(
  createRoute({
    ...markets, tags: taxTags, method: "patch", path: "/tax-rates/{id}", summary: "Change a rate",
    request: { params: IdParam, body: jsonBody(UpdateTaxRateBody) },
    responses: { 200: jsonContent(TaxRate, "Rate"), ...errorResponses(400, 401, 403, 404, 422) },
  }),
  async (c) => send(c, await admin.updateTaxRate(c.env, c.req.valid("param").id, c.req.valid("json")), 200),
);
adminMarketRoutes.openapi(
  createRoute({ ...markets, tags: taxTags, method: "delete", path: "/tax-rates/{id}", summary: "Delete a rate", request: { params: IdParam }, responses: { ...deleted, ...errorResponses(401, 403, 404) } }),
  async (c) => sendEmpty(c, await admin.deleteTaxRate(c.env, c.req.valid("param").id)),
);

// ── Shipping methods ─────────────────────────────────────────────────────────
const shipTags = ["Admin: shipping methods"];
adminMarketRoutes.openapi(
  createRoute({
    ...markets, tags: shipTags, method: "get", path: "/shipping-methods", summary: "Shipping methods (of one region with ?region)",
    request: { query: ShippingMethodQuery },
    responses: { 200: jsonContent(z.array(ShippingMethod), "Methods"), ...errorResponses(401, 403, 422) },
  }),
  async (c) => c.json(await admin.listShippingMethods(c.env, c.req.valid("query").region), 200),
);
adminMarketRoutes.openapi(
  createRoute({
    ...markets, tags: shipTags, method: "post", path: "/shipping-methods", summary: "Create a method: flat or by weight, optionally free over a threshold",
    request: { body: jsonBody(CreateShippingMethodBody) },
    responses: { 201: jsonContent(ShippingMethod, "Created"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => send(c, await admin.createShippingMethod(c.env, c.req.valid("json")), 201),
);
adminMarketRoutes.openapi(
  createRoute({ ...markets, tags: shipTags, method: "get", path: "/shipping-methods/{id}", summary: "One method", request: { params: IdParam }, responses: { 200: jsonContent(ShippingMethod, "Method"), ...errorResponses(401, 403, 404) } }),
  async (c) => c.json(await admin.getShippingMethod(c.env, c.req.valid("param").id), 200),
);
adminMarketRoutes.openapi(
  createRoute({
    ...markets, tags: shipTags, method: "patch", path: "/shipping-methods/{id}", summary: "Change a method (orders keep what they were charged)",
    request: { params: IdParam, body: jsonBody(UpdateShippingMethodBody) },
    responses: { 200: jsonContent(ShippingMethod, "Method"), ...errorResponses(400, 401, 403, 404, 422) },
  }),
  async (c) => send(c, await admin.updateShippingMethod(c.env, c.req.valid("param").id, c.req.valid("json")), 200),
);
adminMarketRoutes.openapi(
  createRoute({ ...markets, tags: shipTags, method: "delete", path: "/shipping-methods/{id}", summary: "Delete a method", request: { params: IdParam }, responses: { ...deleted, ...errorResponses(401, 403, 404) } }),
  async (c) => sendEmpty(c, await admin.deleteShippingMethod(c.env, c.req.valid("param").id)),
);

// ── Translations ─────────────────────────────────────────────────────────────
const KINDS = [
  { path: "products", kind: "product", tag: "Admin: products" },
  { path: "variants", kind: "variant", tag: "Admin: products" },
  { path: "categories", kind: "category", tag: "Admin: categories" },
  { path: "collections", kind: "collection", tag: "Admin: collections" },
] as const;

for (const { path, kind, tag } of KINDS) {
  adminMarketRoutes.openapi(
    createRoute({
      ...catalog, tags: [tag], method: "get", path: `/${path}/{id}/translations`, summary: `The ${kind}'s translations`,
      request: { params: IdParam },
      responses: { 200: jsonContent(z.array(Translation), "Translations"), ...errorResponses(401, 403, 404) },
    }),
    async (c) => c.json(await translations.listTranslations(c.env, kind, c.req.valid("param").id), 200),
  );
  adminMarketRoutes.openapi(
    createRoute({
      ...catalog, tags: [tag], method: "put", path: `/${path}/{id}/translations/{locale}`,
      summary: `Set the ${kind}'s title and description in one locale (the store shows them for ?locale or Accept-Language)`,
      request: { params: TranslationParam, body: jsonBody(TranslationBody) },
      responses: { 200: jsonContent(Translation, "Translation"), ...errorResponses(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const { id, locale } = c.req.valid("param");
      return send(c, await translations.putTranslation(c.env, kind, id, locale, c.req.valid("json")), 200);
    },
  );
  adminMarketRoutes.openapi(
    createRoute({
      ...catalog, tags: [tag], method: "delete", path: `/${path}/{id}/translations/{locale}`, summary: `Remove the ${kind}'s translation in one locale`,
      request: { params: TranslationParam },
      responses: { ...deleted, ...errorResponses(401, 403, 404, 422) },
    }),
    async (c) => {
      const { id, locale } = c.req.valid("param");
      return sendEmpty(c, await translations.deleteTranslation(c.env, kind, id, locale));
    },
  );
}
