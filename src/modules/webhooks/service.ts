/**
 * Webhook endpoint management for admins: create (the secret is shown once), read, change,
 * enable/disable, delete, rotate the secret with a grace period, send a test ping, read the
 * delivery log, redeliver. Deliveries themselves are in delivery.ts, the fan-out in dispatch.ts.
 */
import { getConfig } from "../../env";
import { AppError, invalidState, notFound, validationError } from "../../lib/errors";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import * as z from "zod";
import { dispatchPendingEvents, enqueueDeliveries } from "./dispatch";
import * as repo from "./repo";
import type { CreateWebhookBody, UpdateWebhookBody, WebhookDelivery, WebhookEndpoint } from "./schemas";
import { newWebhookSecret } from "./signature";
import { checkWebhookUrl } from "./url-guard";
import type { WebhookEventType } from "./events";

const KeysetCursor = z.object({ t: z.number().int(), id: z.string().max(64) });
/** A delivery due this long ago without being tried had its message lost. */
const OVERDUE_AFTER_MS = 2 * 60_000;
const RETENTION_MS = 30 * 86_400_000;

function toEndpoint(row: repo.EndpointRow, now = Date.now()): WebhookEndpoint {
  const graceLive = row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as WebhookEventType[],
    status: row.status,
    disabledReason: row.disabled_reason,
    failingSince: toIso(row.failing_since),
    previousSecretExpiresAt: graceLive ? toIso(row.previous_secret_expires_at) : null,
    version: row.version,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function toDelivery(row: repo.DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    eventId: row.event_id,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    nextAttemptAt: row.status === "pending" || row.status === "failed" ? toIso(row.next_attempt_at) : null,
    deliveredAt: toIso(row.delivered_at),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function guardUrl(env: Env, url: string) {
  const verdict = checkWebhookUrl(url, { allowLocalhost: getConfig(env).WEBHOOK_ALLOW_LOCALHOST });
  if (!verdict.ok) throw validationError([{ path: "url", message: verdict.reason }]);
  return verdict.url.toString();
}

function page<R extends { created_at: number; id: string }, T>(rows: R[], limit: number, map: (row: R) => T) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { data: items.map(map), nextCursor: rows.length > limit && last ? encodeCursor({ t: last.created_at, id: last.id }) : null };
}

const after = (cursor: string | undefined) => {
  const decoded = decodeCursor(cursor, KeysetCursor);
  return decoded ? { createdAt: decoded.t, id: decoded.id } : null;
};

/** Creates an enabled endpoint; the answer is the only time its secret is shown. */
export async function createEndpoint(env: Env, input: CreateWebhookBody, now = Date.now()) {
  const secret = newWebhookSecret();
  const row = await repo.insertEndpoint(env.DB, { id: newId("whe", now), url: guardUrl(env, input.url), description: input.description ?? null, events: input.events, secret, now });
  return { ...toEndpoint(row!, now), secret };
}

export async function listEndpoints(env: Env, q: { limit: number; cursor?: string }) {
  return page(await repo.listEndpoints(env.DB, after(q.cursor), q.limit + 1), q.limit, (r) => toEndpoint(r));
}

async function loadEndpoint(env: Env, id: string) {
  const row = await repo.findEndpoint(env.DB, id);
  if (!row) throw notFound("Webhook endpoint");
  return row;
}

export async function getEndpoint(env: Env, id: string) {
  return toEndpoint(await loadEndpoint(env, id));
}

/** Changes url, events, description or status; with `expectedVersion`, only at that version. */
export async function updateEndpoint(env: Env, id: string, expectedVersion: number | null, patch: UpdateWebhookBody, now = Date.now()) {
  const url = patch.url === undefined ? undefined : guardUrl(env, patch.url);
  const row = await repo.updateEndpoint(env.DB, id, expectedVersion, { ...patch, url }, now);
  if (row) return toEndpoint(row, now);
  const current = await loadEndpoint(env, id);
  throw new AppError("VERSION_CONFLICT", "The webhook endpoint was changed by someone else", 409, { currentVersion: current.version });
}

export async function deleteEndpoint(env: Env, id: string) {
  if (!(await repo.deleteEndpoint(env.DB, id))) throw notFound("Webhook endpoint");
}

/** A new secret signs from now on; the old one signs beside it until the grace period ends. */
export async function rotateSecret(env: Env, id: string, gracePeriodSeconds: number | undefined, now = Date.now()) {
  const grace = (gracePeriodSeconds ?? getConfig(env).WEBHOOK_SECRET_GRACE_SECONDS) * 1000;
  const secret = newWebhookSecret();
  const row = await repo.rotateSecret(env.DB, id, secret, now + grace, now);
  if (!row) throw notFound("Webhook endpoint");
  return { id: row.id, secret, previousSecretExpiresAt: grace > 0 ? toIso(now + grace) : null };
}

/** Sends a `ping` event to this endpoint only, through the normal delivery path. */
export async function sendTestPing(env: Env, id: string, now = Date.now()) {
  const endpoint = await loadEndpoint(env, id);
  if (endpoint.status !== "enabled") throw invalidState("The webhook endpoint is disabled; enable it first", { status: endpoint.status });
  const ping = { eventId: newId("evt", now), deliveryId: newId("whd", now) };
  await repo.insertPing(env.DB, { ...ping, endpointId: id, data: { endpointId: id, message: "Edgeshop webhook test" }, now });
  await enqueueDeliveries(env, [ping.deliveryId]);
  return ping;
}

export async function listDeliveries(env: Env, endpointId: string, q: { status?: repo.DeliveryStatus; limit: number; cursor?: string }) {
  await loadEndpoint(env, endpointId);
  return page(await repo.listDeliveries(env.DB, endpointId, q.status, after(q.cursor), q.limit + 1), q.limit, toDelivery);
}

/** Sends a delivery again (same event id and body) with a fresh retry schedule. */
export async function redeliver(env: Env, deliveryId: string, now = Date.now()) {
  const reset = await repo.resetForRedelivery(env.DB, deliveryId, now);
  if (!reset) {
    const delivery = await repo.findDelivery(env.DB, deliveryId);
    if (!delivery) throw notFound("Webhook delivery");
    throw invalidState("The delivery cannot be sent now: its endpoint is disabled or an attempt is in flight");
  }
  await enqueueDeliveries(env, [reset.id]);
  return { id: reset.id, status: "pending" as const };
}

/** Cron: fan out what no message did, re-enqueue deliveries whose message was lost, trim the log. */
export async function sweepWebhooks(env: Env, now = Date.now()) {
  const dispatched = await dispatchPendingEvents(env, now);
  const overdue = await repo.takeOverdueDeliveries(env.DB, now, OVERDUE_AFTER_MS, 200);
  await enqueueDeliveries(env, overdue);
  const purged = await repo.purgeBefore(env.DB, now - RETENTION_MS, 500);
  return { ...dispatched, reenqueued: overdue.length, purged };
}
