import { createRoute } from "@hono/zod-openapi";
import { currentUserId, requireAuth } from "../../http/middleware/auth";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import * as addresses from "./service";
import { AddressBookEntry, AddressListQuery, AddressPage, AddressParam, CreateAddressBody, UpdateAddressBody } from "./schemas";

/** The customer's address book: GET/POST /addresses, GET/PATCH/DELETE /addresses/:id. */
export const addressRoutes = createRouter();
const base = { tags: ["Store: addresses"], middleware: requireAuth(), security: bearerSecurity };

addressRoutes.openapi(
  createRoute({ ...base, method: "get", path: "/addresses", summary: "The customer's addresses, newest first", request: { query: AddressListQuery }, responses: { 200: jsonContent(AddressPage, "Addresses"), ...errorResponses(400, 401, 422) } }),
  async (c) => c.json(await addresses.listAddresses(c.env, currentUserId(c.get("principal")), c.req.valid("query")), 200),
);

addressRoutes.openapi(
  createRoute({ ...base, method: "post", path: "/addresses", summary: "Add an address (country codes are ISO 3166-1 alpha-2)", request: { body: jsonBody(CreateAddressBody) }, responses: { 201: jsonContent(AddressBookEntry, "The address"), ...errorResponses(400, 401, 422) } }),
  async (c) => c.json(await addresses.createAddress(c.env, currentUserId(c.get("principal")), c.req.valid("json")), 201),
);

addressRoutes.openapi(
  createRoute({ ...base, method: "get", path: "/addresses/{id}", summary: "One of the customer's addresses", request: { params: AddressParam }, responses: { 200: jsonContent(AddressBookEntry, "The address"), ...errorResponses(401, 404) } }),
  async (c) => c.json(await addresses.getAddress(c.env, currentUserId(c.get("principal")), c.req.valid("param").id), 200),
);

addressRoutes.openapi(
  createRoute({
    ...base, method: "patch", path: "/addresses/{id}", summary: "Change an address (orders keep the copy they were placed with)",
    request: { params: AddressParam, body: jsonBody(UpdateAddressBody) },
    responses: { 200: jsonContent(AddressBookEntry, "The address"), ...errorResponses(400, 401, 404, 422) },
  }),
  async (c) => c.json(await addresses.updateAddress(c.env, currentUserId(c.get("principal")), c.req.valid("param").id, c.req.valid("json")), 200),
);

addressRoutes.openapi(
  createRoute({ ...base, method: "delete", path: "/addresses/{id}", summary: "Remove an address", request: { params: AddressParam }, responses: { 204: { description: "Removed" }, ...errorResponses(401, 404) } }),
  async (c) => {
    await addresses.deleteAddress(c.env, currentUserId(c.get("principal")), c.req.valid("param").id);
    return c.body(null, 204);
  },
);
