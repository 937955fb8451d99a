import { createRoute } from "@hono/zod-openapi";
import { currentUserId, requireAuth } from "../../http/middleware/auth";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../../http/openapi";
import { AddCartItemBody, AddDiscountBody, Cart, CodeParam, ItemParam, UpdateCartItemBody } from "./schemas";
import * as carts from "./service";

export const cartRoutes = createRouter();
const tags = ["Store: cart"];
const guard = requireAuth();

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
  async (c) => c.json(await carts.getCart(c.env, currentUserId(c.get("principal"))), 200),
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
  async (c) => c.json(await carts.addItem(c.env, currentUserId(c.get("principal")), c.req.valid("json")), 201),
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
    return c.json(await carts.updateItem(c.env, userId, c.req.valid("param").itemId, c.req.valid("json").quantity), 200);
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
  async (c) => c.json(await carts.removeItem(c.env, currentUserId(c.get("principal")), c.req.valid("param").itemId), 200),
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
  async (c) => c.json(await carts.addDiscountCode(c.env, currentUserId(c.get("principal")), c.req.valid("json").code), 200),
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
  async (c) => c.json(await carts.removeDiscountCode(c.env, currentUserId(c.get("principal")), c.req.valid("param").code), 200),
);
