import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import { getConfig } from "../../env";
import { AppError, errorBody } from "../../lib/errors";
import type { AppEnv } from "../types";

const limiters = new Map<number, ReturnType<typeof bodyLimit>>();

/** 413 PAYLOAD_TOO_LARGE for bodies over BODY_LIMIT_BYTES, before any handler reads them. */
export const bodyLimitFromConfig = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === "GET" || c.req.method === "HEAD") return next();
  const maxSize = getConfig(c.env).BODY_LIMIT_BYTES;
  let limiter = limiters.get(maxSize);
  if (!limiter) {
    limiter = bodyLimit({
      maxSize,
      onError: (ctx) =>
        ctx.json(
          errorBody(
            new AppError("PAYLOAD_TOO_LARGE", `Body exceeds ${maxSize} bytes`, 413, { maxBytes: maxSize }),
            ctx.get("requestId"),
          ),
          413,
        ),
    });
    limiters.set(maxSize, limiter);
  }
  return limiter(c, next);
});
