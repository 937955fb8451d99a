/**
 * Writes run near the D1 primary (docs/performance.md "Placement"). Deployed as two Workers, the
 * edge Worker (this one, with a `WRITES` service binding) hands every request that writes — or
 * reads what only D1 holds, like a cart or an order — to the write Worker, which Smart Placement
 * runs beside the database; cached catalog reads stay at the edge, next to the shopper. Without the
 * binding (one Worker: `npm run dev`, the tests) everything is served here.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../types";

const NEAR_PRIMARY = [/^\/api\/v1\/auth\//, /^\/api\/v1\/admin\//, /^\/api\/v1\/webhooks\//, /^\/api\/v1\/store\/(cart|checkouts|orders|addresses|returns|wishlist|account|gift-cards)(\/|$)/];

/** Whether a request belongs near the primary: any write, and reads of a shopper's own D1 rows. */
export function runsNearPrimary(method: string, path: string, authorized: boolean): boolean {
  if (path === "/graphql") return method === "POST" && authorized;
  if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") return path.startsWith("/api/");
  return NEAR_PRIMARY.some((pattern) => pattern.test(path));
}

export const placeWrites = createMiddleware<AppEnv>(async (c, next) => {
  const writes = (c.env as { WRITES?: Fetcher }).WRITES;
  if (!writes || !runsNearPrimary(c.req.method, c.req.path, c.req.header("Authorization") !== undefined)) return next();
  return writes.fetch(c.req.raw);
});
