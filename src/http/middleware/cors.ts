/**
 * CORS from CORS_ORIGINS: "*" or a comma-separated list of allowed origins. Preflights go through
 * hono's cors handler; every other request gets the same headers hono's handler would give it
 * (Access-Control-Allow-Origin, -Expose-Headers, Vary: Origin for a list), set on the answer
 * once it exists. Hono's handler sets them before the answer exists, which makes it build a
 * placeholder Response and copy it into the real one: two Responses per request for nothing.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { cors } from "hono/cors";
import { getConfig } from "../../env";
import type { AppEnv } from "../types";

const ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", "X-Api-Key", "X-Request-Id", "X-D1-Bookmark", "X-Region", "Accept-Language"];
const EXPOSE_HEADERS = ["X-Request-Id", "ETag", "X-Cache", "RateLimit", "RateLimit-Policy", "Retry-After", "X-D1-Bookmark", "X-Region", "Content-Language"];
const EXPOSED = EXPOSE_HEADERS.join(",");

type CorsPolicy = { origins: string; any: boolean; list: string[]; preflight: ReturnType<typeof cors> };
let cached: CorsPolicy | undefined;

function policyOf(origins: string): CorsPolicy {
  if (cached?.origins === origins) return cached;
  const list = origins.split(",").map((o) => o.trim()).filter(Boolean);
  const any = origins === "*";
  cached = {
    origins,
    any,
    list,
    preflight: cors({ origin: any ? "*" : list, allowHeaders: ALLOW_HEADERS, exposeHeaders: EXPOSE_HEADERS, maxAge: 600 }),
  };
  return cached;
}

/** The answer's headers, made writable first if the answer came from a fetch (immutable headers). */
function writableHeaders(c: Context<AppEnv>): Headers {
  try {
    c.res.headers.set("Access-Control-Expose-Headers", EXPOSED);
  } catch {
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set("Access-Control-Expose-Headers", EXPOSED);
  }
  return c.res.headers;
}

export const corsFromConfig = createMiddleware<AppEnv>(async (c, next) => {
  const policy = policyOf(getConfig(c.env).CORS_ORIGINS);
  if (c.req.method === "OPTIONS") return policy.preflight(c, next);
  await next();
  const headers = writableHeaders(c);
  if (policy.any) {
    headers.set("Access-Control-Allow-Origin", "*");
    return;
  }
  const origin = c.req.header("Origin") ?? "";
  if (policy.list.includes(origin)) headers.set("Access-Control-Allow-Origin", origin);
  headers.append("Vary", "Origin");
});
