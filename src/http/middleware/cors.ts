import { createMiddleware } from "hono/factory";
import { cors } from "hono/cors";
import { getConfig } from "../../env";
import type { AppEnv } from "../types";

let cached: { origins: string; handler: ReturnType<typeof cors> } | undefined;

/** CORS from CORS_ORIGINS: "*" or a comma-separated list of allowed origins. */
export const corsFromConfig = createMiddleware<AppEnv>(async (c, next) => {
  const origins = getConfig(c.env).CORS_ORIGINS;
  if (cached?.origins !== origins) {
    const list = origins.split(",").map((o) => o.trim()).filter(Boolean);
    cached = {
      origins,
      handler: cors({
        origin: origins === "*" ? "*" : list,
        allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", "X-Api-Key", "X-Request-Id", "X-D1-Bookmark", "X-Region", "Accept-Language"],
        exposeHeaders: ["X-Request-Id", "ETag", "X-Cache", "RateLimit", "RateLimit-Policy", "Retry-After", "X-D1-Bookmark", "X-Region", "Content-Language"],
        maxAge: 600,
      }),
    };
  }
  return cached.handler(c, next);
});
