import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, jsonBody, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import type { Principal } from "../../http/types";
import { AdjustInventoryBody, InventoryLevel, SetInventoryBody, SetShardsBody, ShardedLevel, StockChangeHeaders, VariantParam } from "./schemas";
import * as inventory from "./service";

export const inventoryRoutes = createRouter();
const tags = ["Admin: inventory"];
const guard = requireAdmin("inventory");
const actorOf = (p: Principal | undefined) => (p?.kind === "user" ? p.userId : p?.kind === "apiKey" ? p.keyId : null);

inventoryRoutes.openapi(
  createRoute({
    method: "get",
    path: "/inventory/{variantId}",
    tags,
    summary: "Stock level of a variant (authoritative)",
    middleware: guard,
    security: adminSecurity,
    request: { params: VariantParam },
    responses: { 200: jsonContent(InventoryLevel, "Level"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => c.json(await inventory.getLevel(c.env, c.req.valid("param").variantId), 200),
);

inventoryRoutes.openapi(
  createRoute({
    method: "post",
    path: "/inventory/{variantId}/adjust",
    tags,
    summary: "Add or remove stock with a reason (kept as history)",
    middleware: guard,
    security: adminSecurity,
    request: { params: VariantParam, headers: StockChangeHeaders, body: jsonBody(AdjustInventoryBody) },
    responses: { 200: jsonContent(InventoryLevel, "New level"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const idempotencyKey = c.req.valid("header")["idempotency-key"];
    const input = { variantId: c.req.valid("param").variantId, ...body, actor: actorOf(c.get("principal")), idempotencyKey };
    return c.json(await inventory.adjustLevel(c.env, input), 200);
  },
);

inventoryRoutes.openapi(
  createRoute({
    method: "put",
    path: "/inventory/{variantId}",
    tags,
    summary: "Set on-hand stock (never below what is reserved)",
    middleware: guard,
    security: adminSecurity,
    request: { params: VariantParam, headers: StockChangeHeaders, body: jsonBody(SetInventoryBody) },
    responses: { 200: jsonContent(InventoryLevel, "New level"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  }),
  async (c) => {
    const idempotencyKey = c.req.valid("header")["idempotency-key"];
    const input = { variantId: c.req.valid("param").variantId, onHand: c.req.valid("json").onHand, actor: actorOf(c.get("principal")), idempotencyKey };
    return c.json(await inventory.setLevel(c.env, input), 200);
  },
);

inventoryRoutes.openapi(
  createRoute({
    method: "put",
    path: "/inventory/{variantId}/shards",
    tags,
    summary: "Split a hot variant's stock over N objects (a flash sale past one object's ~1,000 requests/s); 1 = one object",
    description:
      "Each shard holds a slice; a checkout holds stock on its own shard, or on the coordinator when that shard runs dry, which first pulls every shard's free units back, so no unit left anywhere is ever refused. See docs/performance.md.",
    middleware: guard,
    security: adminSecurity,
    request: { params: VariantParam, body: jsonBody(SetShardsBody) },
    responses: { 200: jsonContent(ShardedLevel, "The variant's level and shard count"), ...errorResponses(400, 401, 403, 404, 422) },
  }),
  async (c) => c.json(await inventory.setShards(c.env, c.req.valid("param").variantId, c.req.valid("json").count), 200),
);
