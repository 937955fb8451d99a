import { createRoute } from "@hono/zod-openapi";
import { currentUserId, requireAdmin, requireAuth } from "../../http/middleware/auth";
import { adminSecurity, bearerSecurity, errorResponses, jsonBody, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { MostWishedQuery, MostWishedReport, Wishlist, WishlistBody, WishlistVariantParam } from "./schemas";
import * as wishlists from "./service";

export const wishlistStoreRoutes = createRouter();
export const wishlistAdminRoutes = createRouter();
const tags = ["Store: wishlist"];
const guard = requireAuth();

wishlistStoreRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wishlist/items",
    tags,
    summary: "The customer's wishlist, newest first, with catalog price and availability",
    middleware: guard,
    security: bearerSecurity,
    responses: { 200: jsonContent(Wishlist, "Wishlist"), ...errorResponses(401) },
  }),
  async (c) => c.json(await wishlists.getWishlist(c.env, currentUserId(c.get("principal"))), 200),
);

wishlistStoreRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wishlist/items",
    tags,
    summary: "Add a variant (adding it again changes nothing)",
    middleware: guard,
    security: bearerSecurity,
    request: { body: jsonBody(WishlistBody) },
    responses: { 200: jsonContent(Wishlist, "Wishlist"), ...errorResponses(400, 401, 404, 422) },
  }),
  async (c) => c.json(await wishlists.addToWishlist(c.env, currentUserId(c.get("principal")), c.req.valid("json").variantId), 200),
);

wishlistStoreRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/wishlist/items/{variantId}",
    tags,
    summary: "Take a variant off the wishlist",
    middleware: guard,
    security: bearerSecurity,
    request: { params: WishlistVariantParam },
    responses: { 200: jsonContent(Wishlist, "Wishlist"), ...errorResponses(401, 404) },
  }),
  async (c) => c.json(await wishlists.removeFromWishlist(c.env, currentUserId(c.get("principal")), c.req.valid("param").variantId), 200),
);

wishlistStoreRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/wishlist/items",
    tags,
    summary: "Take a variant off the wishlist (named in the body)",
    middleware: guard,
    security: bearerSecurity,
    request: { body: jsonBody(WishlistBody) },
    responses: { 200: jsonContent(Wishlist, "Wishlist"), ...errorResponses(400, 401, 404, 422) },
  }),
  async (c) => c.json(await wishlists.removeFromWishlist(c.env, currentUserId(c.get("principal")), c.req.valid("json").variantId), 200),
);

wishlistAdminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/analytics/most-wished",
    tags: ["Admin: analytics"],
    summary: "Products on the most wishlists (customers per product)",
    middleware: requireAdmin("analytics"),
    security: adminSecurity,
    request: { query: MostWishedQuery },
    responses: { 200: jsonContent(MostWishedReport, "Most-wished products"), ...errorResponses(401, 403, 422) },
  }),
  async (c) => c.json(await wishlists.mostWishedProducts(c.env, c.req.valid("query").limit), 200),
);
