import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { currentUserId, requireAdmin, requireAuth } from "../../http/middleware/auth";
import { adminSecurity, bearerSecurity, errorResponses, jsonBody, jsonContent, pageOf } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { toIso } from "../../lib/time";
import { setMarketingOptIn } from "../auth/service";
import { startCampaign } from "./campaigns";
import type { OutboxRow } from "./repo";
import { CampaignBody, CircuitBreaker, EmailCursor, EmailListQuery, MarketingPreference, OutboxEmail } from "./schemas";
import { outboundBreakers } from "../outbound/breakers";
import { listEmails, retryEmail } from "./service";

export const adminEmailRoutes = createRouter();
export const accountRoutes = createRouter();
const tags = ["Admin: emails"];

/** The outbox as admins see it: never the address or the payload (PII, reset tokens). */
const toOutboxEmail = (row: OutboxRow) => ({
  id: row.id,
  template: row.template,
  priority: row.priority,
  status: row.status,
  attempts: row.attempts,
  lastError: row.lastError,
  requestId: row.requestId,
  createdAt: toIso(row.createdAt),
  updatedAt: toIso(row.updatedAt),
  sentAt: toIso(row.sentAt),
});

adminEmailRoutes.openapi(
  createRoute({
    method: "get",
    path: "/emails",
    tags,
    summary: "The email outbox and its dead letters",
    middleware: requireAdmin("emails"),
    security: adminSecurity,
    request: { query: EmailListQuery },
    responses: { 200: jsonContent(pageOf(OutboxEmail), "Emails, newest change first"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => {
    const { status, limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor, EmailCursor);
    const rows = await listEmails(c.env, status, after && { updatedAt: after.u, id: after.id }, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeCursor({ u: last.updatedAt, id: last.id }) : null;
    return c.json({ data: page.map(toOutboxEmail), nextCursor }, 200);
  },
);

adminEmailRoutes.openapi(
  createRoute({
    method: "post",
    path: "/emails/{id}/retry",
    tags,
    summary: "Send a dead (or stuck pending) email again",
    middleware: requireAdmin("emails"),
    security: adminSecurity,
    request: { params: z.object({ id: z.string().max(64) }) },
    responses: { 200: jsonContent(OutboxEmail, "Queued again"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => c.json(toOutboxEmail(await retryEmail(c.env, c.req.valid("param").id)), 200),
);

adminEmailRoutes.openapi(
  createRoute({
    method: "post",
    path: "/campaigns",
    tags,
    summary: "Send a promotional email to every customer who opted in (through the bulk queue)",
    middleware: requireAdmin("emails"),
    security: adminSecurity,
    request: { body: jsonBody(CampaignBody) },
    responses: { 202: jsonContent(z.object({ campaignId: z.string() }), "Campaign started"), ...errorResponses(400, 401, 403, 422) },
  }),
  async (c) => c.json(await startCampaign(c.env, c.req.valid("json"), c.get("requestId")), 202),
);

adminEmailRoutes.openapi(
  createRoute({
    method: "get",
    path: "/circuit-breakers",
    tags,
    summary: "State of the outbound circuit breakers in this isolate",
    middleware: requireAdmin("emails"),
    security: adminSecurity,
    responses: { 200: jsonContent(z.object({ data: z.array(CircuitBreaker) }), "Breakers"), ...errorResponses(401, 403) },
  }),
  (c) =>
    c.json(
      {
        data: outboundBreakers.snapshot().map((b) => ({
          name: b.name,
          state: b.state,
          consecutiveFailures: b.consecutiveFailures,
          openUntil: toIso(b.openUntil),
        })),
      },
      200,
    ),
);

accountRoutes.openapi(
  createRoute({
    method: "put",
    path: "/account/marketing",
    tags: ["Store: account"],
    summary: "Opt in to or out of promotional email",
    middleware: requireAuth(),
    security: bearerSecurity,
    request: { body: jsonBody(MarketingPreference) },
    responses: { 200: jsonContent(MarketingPreference, "Saved"), ...errorResponses(400, 401, 422) },
  }),
  async (c) => {
    const { marketingOptIn } = c.req.valid("json");
    await setMarketingOptIn(c.env, currentUserId(c.get("principal")), marketingOptIn);
    return c.json({ marketingOptIn }, 200);
  },
);
