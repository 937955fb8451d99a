/**
 * Request id, structured request log and per-request metrics in one place, so every answer —
 * including errors and 404s — carries `X-Request-Id` and produces exactly one log line.
 */
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import { writeRequestPoint } from "../../modules/analytics/events";
import { createLogger } from "../../lib/log";
import type { AppEnv } from "../types";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** FNV-1a: a stable, non-reversible-enough tag so logs can group by user without an id. */
function hashTag(value: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  const incoming = c.req.header("X-Request-Id");
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  const logger = createLogger({ requestId });
  c.set("requestId", requestId);
  c.set("logger", logger);

  await next();

  c.res.headers.set("X-Request-Id", requestId);
  const route = routePath(c) || "unmatched";
  const ms = Math.round((performance.now() - started) * 100) / 100;
  const principal = c.get("principal");
  const cf = c.req.raw.cf as { colo?: string; country?: string } | undefined;
  const cache = c.get("cacheStatus") ?? "none";
  logger.info("request", {
    method: c.req.method,
    route,
    status: c.res.status,
    ms,
    cache,
    user: principal?.kind === "user" ? hashTag(principal.userId) : principal ? "api-key" : null,
    colo: cf?.colo ?? null,
  });
  writeRequestPoint(c.env.ANALYTICS, {
    route,
    method: c.req.method,
    status: c.res.status,
    cache,
    colo: cf?.colo ?? "",
    country: cf?.country ?? "",
    latencyMs: ms,
  });
});
