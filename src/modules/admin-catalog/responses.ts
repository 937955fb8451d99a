/** HTTP answers of admin catalog writes: the row version as ETag, the write's D1 bookmark for read-your-writes. */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import type { Written } from "./shared";

export function sendVersioned<T extends { version: number }, S extends 200 | 201>(c: Context<AppEnv>, written: Written<T>, status: S) {
  c.header("ETag", `"${written.value.version}"`);
  if (written.bookmark) c.header("X-D1-Bookmark", written.bookmark);
  return c.json(written.value, status);
}

export function sendNoContent(c: Context<AppEnv>, written: Written<null>) {
  if (written.bookmark) c.header("X-D1-Bookmark", written.bookmark);
  return c.body(null, 204);
}
