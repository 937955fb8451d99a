import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "../../http/middleware/auth";
import { adminSecurity, errorResponses, jsonContent, pageOf } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { toIso } from "../../lib/time";
import type { DeadLetterRow } from "./repo";
import { DeadLetter, DeadLetterCursor, DeadLetterIdParam, DeadLetterListQuery } from "./schemas";
import { listDeadLetters, replayDeadLetter } from "./service";

export const adminDeadLetterRoutes = createRouter();
const tags = ["Admin: queues"];

const toDeadLetter = (row: DeadLetterRow) => ({
  id: row.id,
  queue: row.queue,
  body: row.body,
  reason: row.reason,
  createdAt: toIso(row.createdAt),
  replayedAt: toIso(row.replayedAt),
});

adminDeadLetterRoutes.openapi(
  createRoute({
    method: "get",
    path: "/dead-letters",
    tags,
    summary: "Queue messages that exhausted their retries (campaign pages, order events), newest first",
    middleware: requireAdmin("queues"),
    security: adminSecurity,
    request: { query: DeadLetterListQuery },
    responses: { 200: jsonContent(pageOf(DeadLetter), "Dead letters"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => {
    const { queue, status, limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, DeadLetterCursor);
    const rows = await listDeadLetters(c.env, { queue, status }, after && { createdAt: after.c, id: after.id }, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeCursor({ c: last.createdAt, id: last.id }) : null;
    return c.json({ data: page.map(toDeadLetter), nextCursor }, 200);
  },
);

adminDeadLetterRoutes.openapi(
  createRoute({
    method: "post",
    path: "/dead-letters/{id}/replay",
    tags,
    summary: "Send a dead message again onto the queue it failed on (once)",
    middleware: requireAdmin("queues"),
    security: adminSecurity,
    request: { params: DeadLetterIdParam },
    responses: { 200: jsonContent(DeadLetter, "Sent again"), ...errorResponses(401, 403, 404, 409) },
  }),
  async (c) => c.json(toDeadLetter(await replayDeadLetter(c.env, c.req.valid("param").id)), 200),
);
