/**
 * Webhook event types and the outbox write. A business change appends `webhookEventStatements` to
 * its own D1 batch, so the event exists exactly when the change does; the fan-out to endpoints
 * happens later (dispatch.ts). Adding an event type is one line in WEBHOOK_EVENT_TYPES.
 */
import { newId } from "../../lib/ids";

export const WEBHOOK_EVENT_TYPES = [
  "order.placed",
  "order.cancelled",
  "order.refunded",
  "order.status_changed",
  "return.requested",
  "return.received",
  "inventory.low_stock",
  "product.created",
  "product.updated",
  "product.deleted",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent only by POST /webhooks/{id}/test, to that endpoint; nobody subscribes to it. */
export const PING_EVENT = "ping";

/** Event data computed by SQL inside the batch (e.g. a row as it is after the batch's own UPDATE). */
export type SqlJson = { sqlJson: string; params: unknown[] };

export type WebhookEventInput = {
  type: WebhookEventType;
  data: Record<string, unknown> | SqlJson;
  /** One event per business fact: a batch that runs twice writes it once. */
  key?: string;
  requestId?: string | null;
  /** A condition the write waits on, typically that the batch's guarded UPDATE applied. */
  onlyIf?: { sql: string; params: unknown[] };
  now?: number;
};

const isSqlJson = (data: WebhookEventInput["data"]): data is SqlJson => typeof (data as SqlJson).sqlJson === "string";

/**
 * The D1 statement(s) that record webhook events; append them to the batch of the change itself.
 * An event is written only while some enabled endpoint subscribes to its type (no listeners, no row).
 */
export function webhookEventStatements(d1: Pick<D1Database, "prepare">, events: WebhookEventInput | WebhookEventInput[]): D1PreparedStatement[] {
  return (Array.isArray(events) ? events : [events]).map((event) => {
    const now = event.now ?? Date.now();
    const data = isSqlJson(event.data) ? { sql: `COALESCE((${event.data.sqlJson}), '{}')`, params: event.data.params } : { sql: "?", params: [JSON.stringify(event.data)] };
    const guard = event.onlyIf ? { sql: ` AND (${event.onlyIf.sql})`, params: event.onlyIf.params } : { sql: "", params: [] };
    return d1
      .prepare(
        `INSERT INTO webhook_events (id, type, data, dedupe_key, request_id, created_at)
         SELECT ?, ?, ${data.sql}, ?, ?, ?
         WHERE EXISTS (SELECT 1 FROM webhook_endpoints AS e, json_each(e.events) AS t WHERE e.status = 'enabled' AND t.value = ?)${guard.sql}
         ON CONFLICT DO NOTHING`,
      )
      .bind(newId("evt", now), event.type, ...data.params, event.key ?? null, event.requestId ?? null, now, event.type, ...guard.params);
  });
}
