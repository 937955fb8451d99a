import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, jsonBody, jsonContent, pageOf, PageQuery } from "../../http/openapi";
import { createRouter } from "../../http/router";
import * as groups from "./groups-service";
import { CreateGroupBody, CustomerGroup, IdParam, MemberParam, UpdateGroupBody } from "./schemas";

export const adminGroupRoutes = createRouter();
const base = { middleware: requireAdmin("pricing"), security: adminSecurity, tags: ["Admin: customer groups"] };

adminGroupRoutes.openapi(
  createRoute({
    ...base, method: "post", path: "/customer-groups", summary: "Create a customer group",
    request: { body: jsonBody(CreateGroupBody) },
    responses: { 201: jsonContent(CustomerGroup, "Created"), ...errorResponses(400, 401, 403, 409, 422) },
  }),
  async (c) => c.json(await groups.createGroup(c.env, c.req.valid("json")), 201),
);

adminGroupRoutes.openapi(
  createRoute({
    ...base, method: "get", path: "/customer-groups", summary: "List customer groups, newest first",
    request: { query: PageQuery },
    responses: { 200: jsonContent(pageOf(CustomerGroup), "Customer groups"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => c.json(await groups.listGroups(c.env, c.req.valid("query")), 200),
);

adminGroupRoutes.openapi(
  createRoute({
    ...base, method: "get", path: "/customer-groups/{id}", summary: "One customer group",
    request: { params: IdParam },
    responses: { 200: jsonContent(CustomerGroup, "The group"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => c.json(await groups.getGroup(c.env, c.req.valid("param").id), 200),
);

adminGroupRoutes.openapi(
  createRoute({
    ...base, method: "patch", path: "/customer-groups/{id}", summary: "Rename or describe a customer group",
    request: { params: IdParam, body: jsonBody(UpdateGroupBody) },
    responses: { 200: jsonContent(CustomerGroup, "Updated"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => c.json(await groups.updateGroup(c.env, c.req.valid("param").id, c.req.valid("json")), 200),
);

adminGroupRoutes.openapi(
  createRoute({
    ...base, method: "delete", path: "/customer-groups/{id}", summary: "Delete a group without members or price lists",
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404, 409) },
  }),
  async (c) => {
    await groups.deleteGroup(c.env, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

adminGroupRoutes.openapi(
  createRoute({
    ...base, method: "put", path: "/customer-groups/{id}/members/{userId}", summary: "Put a customer in the group (out of any other)",
    request: { params: MemberParam },
    responses: { 200: jsonContent(CustomerGroup, "The group"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const { id, userId } = c.req.valid("param");
    return c.json(await groups.addMember(c.env, id, userId), 200);
  },
);

adminGroupRoutes.openapi(
  createRoute({
    ...base, method: "delete", path: "/customer-groups/{id}/members/{userId}", summary: "Take a customer out of the group",
    request: { params: MemberParam },
    responses: { 204: { description: "Removed" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const { id, userId } = c.req.valid("param");
    await groups.removeMember(c.env, id, userId);
    return c.body(null, 204);
  },
);
