/**
 * Request id, structured request log and per-request metrics in one place, so every answer —
 * including errors and 404s — carries `X-Request-Id` and produces exactly one log line.
 * `recordRequest` is shared with the read lane (src/http/read-lane.ts), so a request it serves
 * logs and counts exactly like one served here.
 */
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import { writeRequestPoint } from "../../modules/analytics/events";
import { createLogger, type Logger } from "../../lib/log";
import type { AppEnv, Principal } from "../types";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's X-Request-Id when it is a sane token, else a fresh one. */
export function requestIdOf(incoming: string | null | undefined): string {
  return incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
}

/** FNV-1a: a stable, non-reversible-enough tag so logs can group by user without an id. */
function hashTag(value: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

export type RequestRecord = {
  method: string;
  route: string;
  status: number;
  started: number;
  cache: string;
  principal: Principal | undefined;
  cf: { colo?: string; country?: string } | undefined;
};

/** The one log line and the one analytics data point of a request. */
export function recordRequest(env: Env, logger: Logger, r: RequestRecord): void {
  const ms = Math.round((performance.now() - r.started) * 100) / 100;
  logger.info("request", {
    method: r.method,
    route: r.route,
    status: r.status,
    ms,
    cache: r.cache,
    user: r.principal?.kind === "user" ? hashTag(r.principal.userId) : r.principal ? "api-key" : null,
    colo: r.cf?.colo ?? null,
  });
  writeRequestPoint(env.ANALYTICS, {
    route: r.route,
    method: r.method,
    status: r.status,
    cache: r.cache,
    colo: r.cf?.colo ?? "",
    country: r.cf?.country ?? "",
    latencyMs: ms,
  });
}

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  const requestId = requestIdOf(c.req.header("X-Request-Id"));
  const logger = createLogger({ requestId });
  c.set("requestId", requestId);
  c.set("logger", logger);

  await next();

  c.res.headers.set("X-Request-Id", requestId);
  recordRequest(c.env, logger, {
    method: c.req.method,
    route: routePath(c) || "unmatched",
    status: c.res.status,
    started,
    cache: c.get("cacheStatus") ?? "none",
    principal: c.get("principal"),
    cf: c.req.raw.cf as RequestRecord["cf"],
  });
});
