import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { currentUserId, requireAuth } from "../../http/middleware/auth";
import { marketOf } from "../../http/middleware/market";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import type { AppEnv } from "../../http/types";
import { AddCartItemBody, AddDiscountBody, Cart, CodeParam, ItemParam, UpdateCartItemBody } from "./schemas";
import * as carts from "./service";

export const cartRoutes = createRouter();
const tags = ["Store: cart"];
const guard = requireAuth();

/** A cart answer says the region it is priced in (a cart keeps its own region). */
export function sendCart<S extends 200 | 201>(c: Context<AppEnv>, cart: Cart, status: S) {
  c.set("answerRegion", cart.region);
  return c.json(cart, status);
}

cartRoutes.openapi(
  createRoute({
    method: "get",
    path: "/cart",
    tags,
    summary: "The customer's active cart (created on demand)",
    middleware: guard,
    security: bearerSecurity,
    responses: { 200: jsonContent(Cart, "Cart"), ...errorResponses(401) },
  }),
  async (c) => sendCart(c, await carts.getCart(c.env, currentUserId(c.get("principal")), marketOf(c)), 200),
);

cartRoutes.openapi(
  createRoute({
    method: "post",
    path: "/cart/items",
    tags,
    summary: "Add a variant (adding it again adds to its quantity)",
    middleware: guard,
    security: bearerSecurity,
    request: { body: jsonBody(AddCartItemBody) },
    responses: { 201: jsonContent(Cart, "Cart"), ...errorResponses(400, 401, 404, 422) },
  }),
  async (c) => sendCart(c, await carts.addItem(c.env, currentUserId(c.get("principal")), c.req.valid("json"), Date.now(), marketOf(c)), 201),
);

cartRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/cart/items/{itemId}",
    tags,
    summary: "Change an item's quantity",
    middleware: guard,
    security: bearerSecurity,
    request: { params: ItemParam, body: jsonBody(UpdateCartItemBody) },
    responses: { 200: jsonContent(Cart, "Cart"), ...errorResponses(400, 401, 404, 422) },
  }),
  async (c) => {
    const userId = currentUserId(c.get("principal"));
    return sendCart(c, await carts.updateItem(c.env, userId, c.req.valid("param").itemId, c.req.valid("json").quantity, Date.now(), marketOf(c)), 200);
  },
);

cartRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/cart/items/{itemId}",
    tags,
    summary: "Remove an item",
    middleware: guard,
    security: bearerSecurity,
    request: { params: ItemParam },
    responses: { 200: jsonContent(Cart, "Cart"), ...errorResponses(401, 404) },
  }),
  async (c) => sendCart(c, await carts.removeItem(c.env, currentUserId(c.get("principal")), c.req.valid("param").itemId, Date.now(), marketOf(c)), 200),
);

cartRoutes.openapi(
  createRoute({
    method: "post",
    path: "/cart/discounts",
    tags,
    summary: "Enter a discount code (case-insensitive); 422 with details.reason when it does not apply",
    middleware: guard,
    security: bearerSecurity,
    request: { body: jsonBody(AddDiscountBody) },
    responses: { 200: jsonContent(Cart, "Cart"), ...errorResponses(400, 401, 422) },
  }),
  async (c) => sendCart(c, await carts.addDiscountCode(c.env, currentUserId(c.get("principal")), c.req.valid("json").code, Date.now(), marketOf(c)), 200),
);

cartRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/cart/discounts/{code}",
    tags,
    summary: "Remove a discount code from the cart",
    middleware: guard,
    security: bearerSecurity,
    request: { params: CodeParam },
    responses: { 200: jsonContent(Cart, "Cart"), ...errorResponses(401, 404) },
  }),
  async (c) => sendCart(c, await carts.removeDiscountCode(c.env, currentUserId(c.get("principal")), c.req.valid("param").code, Date.now(), marketOf(c)), 200),
);
