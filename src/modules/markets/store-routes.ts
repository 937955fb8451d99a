import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { currentUserId, requireAuth } from "../../http/middleware/auth";
import { marketOf } from "../../http/middleware/market";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { sendCart } from "../cart/routes";
import { Cart } from "../cart/schemas";
import * as shipping from "./cart-service";
import { regionsOf } from "./context";
import { Region, ShippingAddressBody, ShippingMethodBody, ShippingOption } from "./schemas";

/** GET /regions, and the cart's shipping address and method. */
export const marketStoreRoutes = createRouter();
const cartBase = { tags: ["Store: cart"], middleware: requireAuth(), security: bearerSecurity };

marketStoreRoutes.openapi(
  createRoute({
    method: "get",
    path: "/regions",
    tags: ["Store: regions"],
    summary: "The regions the store sells in",
    description:
      "Every store request is served in one region: `?region=<code>`, else the `X-Region` header, else the region whose countries hold the request's country, else the default. " +
      "The answer names it in `X-Region`; every Money is in its currency. `?locale=` or `Accept-Language` pick the language (`Content-Language`).",
    responses: { 200: jsonContent(z.array(Region), "Regions"), ...errorResponses(422) },
  }),
  (c) => {
    const market = marketOf(c);
    const regions = regionsOf(c.env, market.config).map(({ code, name, currency, countries, taxInclusive }) => ({ code, name, currency, countries, taxInclusive }));
    c.header("Cache-Control", "public, max-age=60");
    return c.json(regions, 200);
  },
);

marketStoreRoutes.openapi(
  createRoute({
    ...cartBase,
    method: "put",
    path: "/cart/shipping-address",
    summary: "Where the cart ships: an address book entry (addressId) or an address written out; the cart keeps a copy",
    request: { body: jsonBody(ShippingAddressBody) },
    responses: { 200: jsonContent(Cart, "Cart with shippingAddress"), ...errorResponses(400, 401, 404, 422) },
  }),
  async (c) => sendCart(c, await shipping.setShippingAddress(c.env, currentUserId(c.get("principal")), c.req.valid("json"), marketOf(c)), 200),
);

marketStoreRoutes.openapi(
  createRoute({
    ...cartBase,
    method: "get",
    path: "/cart/shipping-methods",
    summary: "The shipping methods that can ship the cart to its address, with their charge for it",
    responses: { 200: jsonContent(z.array(ShippingOption), "Shipping methods"), ...errorResponses(401, 422) },
  }),
  async (c) => {
    const { region, options } = await shipping.shippingOptions(c.env, currentUserId(c.get("principal")), marketOf(c));
    c.set("answerRegion", region);
    return c.json(options, 200);
  },
);

marketStoreRoutes.openapi(
  createRoute({
    ...cartBase,
    method: "put",
    path: "/cart/shipping-method",
    summary: "Choose how the cart ships; adds totals.shipping (taxed where the place taxes shipping)",
    request: { body: jsonBody(ShippingMethodBody) },
    responses: { 200: jsonContent(Cart, "Cart with shippingMethod and totals.shipping"), ...errorResponses(400, 401, 404, 422) },
  }),
  async (c) => sendCart(c, await shipping.setShippingMethod(c.env, currentUserId(c.get("principal")), c.req.valid("json").shippingMethodId, marketOf(c)), 200),
);
