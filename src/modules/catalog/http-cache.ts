/** Turns a cache answer into an HTTP answer: ETag, 304, Cache-Control, X-Cache, X-D1-Bookmark. */
import type { Context } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../../http/types";
import type { CacheAnswer, ReadContext } from "./cache";

/** Browsers and CDNs may keep a public catalog answer briefly; the ETag makes revalidation cheap. */
export const PUBLIC_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30";
const BOOKMARK = /^[A-Za-z0-9-]{1,128}$/;

export function readContext(c: Context<AppEnv>): ReadContext {
  const bookmark = c.req.header("X-D1-Bookmark");
  return {
    env: c.env,
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
    bookmark: bookmark && BOOKMARK.test(bookmark) ? bookmark : null,
  };
}

/** Whether an If-None-Match header names this ETag (or `*`). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t === etag || t === `W/${etag}`;
  });
}

/**
 * Requests answered 200 from memory, with the page's key and route: the read lane
 * (src/http/read-lane.ts) learns from them how to answer the same request again.
 */
export const answeredFromMemory = new WeakMap<Request, { key: string; etag: string; route: string }>();

export function sendCached(c: Context<AppEnv>, answer: CacheAnswer): Response {
  c.set("cacheStatus", answer.status);
  const headers: Record<string, string> = {
    ETag: answer.etag,
    "Cache-Control": PUBLIC_CACHE_CONTROL,
    "X-Cache": answer.status,
  };
  if (answer.bookmark) headers["X-D1-Bookmark"] = answer.bookmark;
  if (etagMatches(c.req.header("If-None-Match"), answer.etag)) return c.body(null, 304, headers);
  if (answer.key && answer.status === "HIT-MEMORY") answeredFromMemory.set(c.req.raw, { key: answer.key, etag: answer.etag, route: routePath(c) });
  return c.body(answer.body, 200, { ...headers, "Content-Type": "application/json; charset=UTF-8" });
}
