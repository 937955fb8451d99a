/** D1 access for webhook endpoints, events and deliveries. Every state change is conditional. */
import type { WEBHOOK_DELIVERY_STATUSES } from "../../db/schema";

export type EndpointStatus = "enabled" | "disabled";
export type DeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export type EndpointRow = {
  id: string;
  url: string;
  description: string | null;
  events: string;
  status: EndpointStatus;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  failing_since: number | null;
  disabled_reason: string | null;
  disabled_at: number | null;
  version: number;
  created_at: number;
  updated_at: number;
};

export type DeliveryRow = {
  id: string;
  endpoint_id: string;
  event_id: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
  delivered_at: number | null;
  created_at: number;
  updated_at: number;
};

export type EventRow = { id: string; type: string; data: string; request_id: string | null; created_at: number };

// ── endpoints ────────────────────────────────────────────────────────────────

export async function insertEndpoint(d1: D1Database, e: { id: string; url: string; description: string | null; events: string[]; secret: string; now: number }) {
  return d1
    .prepare(
      `INSERT INTO webhook_endpoints (id, url, description, events, status, secret, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'enabled', ?, 1, ?, ?) RETURNING *`,
    )
    .bind(e.id, e.url, e.description, JSON.stringify(e.events), e.secret, e.now, e.now)
    .first<EndpointRow>();
}

export function findEndpoint(d1: D1Database, id: string) {
  return d1.prepare("SELECT * FROM webhook_endpoints WHERE id = ?").bind(id).first<EndpointRow>();
}

/** Newest first, by (created_at, id) keyset. */
export async function listEndpoints(d1: D1Database, after: { createdAt: number; id: string } | null, limit: number) {
  const keyset = after ? "WHERE (created_at, id) < (?, ?)" : "";
  const { results } = await d1
    .prepare(`SELECT * FROM webhook_endpoints ${keyset} ORDER BY created_at DESC, id DESC LIMIT ?`)
    .bind(...(after ? [after.createdAt, after.id] : []), limit)
    .all<EndpointRow>();
  return results;
}

export type EndpointPatch = { url?: string; description?: string | null; events?: string[]; status?: EndpointStatus };

/**
 * Applies a patch, at `expectedVersion` when given; null when the row is gone or moved on.
 * Enabling clears the failure record; disabling by hand records why.
 */
export async function updateEndpoint(d1: D1Database, id: string, expectedVersion: number | null, patch: EndpointPatch, now: number) {
  const sets: string[] = [];
  const values: unknown[] = [];
  const set = (column: string, value: unknown) => {
    sets.push(`${column} = ?`);
    values.push(value);
  };
  if (patch.url !== undefined) set("url", patch.url);
  if (patch.description !== undefined) set("description", patch.description);
  if (patch.events !== undefined) set("events", JSON.stringify(patch.events));
  if (patch.status === "enabled") sets.push("status = 'enabled'", "failing_since = NULL", "disabled_reason = NULL", "disabled_at = NULL");
  if (patch.status === "disabled") {
    sets.push("status = 'disabled'", "disabled_reason = CASE WHEN status = 'disabled' THEN disabled_reason ELSE 'manual' END", "disabled_at = COALESCE(disabled_at, ?)");
    values.push(now);
  }
  const versionGuard = expectedVersion === null ? "" : " AND version = ?";
  return d1
    .prepare(`UPDATE webhook_endpoints SET ${[...sets, "version = version + 1", "updated_at = ?"].join(", ")} WHERE id = ?${versionGuard} RETURNING *`)
    .bind(...values, now, id, ...(expectedVersion === null ? [] : [expectedVersion]))
    .first<EndpointRow>();
}

/** Removes the endpoint and its delivery log in one batch; false when it did not exist. */
export async function deleteEndpoint(d1: D1Database, id: string): Promise<boolean> {
  const [, endpoint] = await d1.batch([
    d1.prepare("DELETE FROM webhook_deliveries WHERE endpoint_id = ?").bind(id),
    d1.prepare("DELETE FROM webhook_endpoints WHERE id = ?").bind(id),
  ]);
  return endpoint!.meta.changes === 1;
}

/** The old secret keeps signing until `graceUntil`; a rotation during a grace period drops the oldest. */
export function rotateSecret(d1: D1Database, id: string, secret: string, graceUntil: number, now: number) {
  return d1
    .prepare(
      `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = ?, secret = ?, version = version + 1, updated_at = ?
       WHERE id = ? RETURNING *`,
    )
    .bind(graceUntil, secret, now, id)
    .first<EndpointRow>();
}

export async function enabledEndpoints(d1: D1Database) {
  const { results } = await d1.prepare("SELECT id, events FROM webhook_endpoints WHERE status = 'enabled'").all<{ id: string; events: string }>();
  return results;
}

// ── events ───────────────────────────────────────────────────────────────────

/** Takes up to `limit` undispatched events for one fan-out (oldest first), leasing them against a parallel one. */
export async function leasePendingEvents(d1: D1Database, now: number, leaseMs: number, limit: number) {
  const { results } = await d1
    .prepare(
      `UPDATE webhook_events SET lease_until = ?1 WHERE id IN (
         SELECT id FROM webhook_events INDEXED BY webhook_events_pending_idx
          WHERE dispatched_at IS NULL AND (lease_until IS NULL OR lease_until < ?2) ORDER BY created_at LIMIT ?3)
       RETURNING id, type, request_id, created_at`,
    )
    .bind(now + leaseMs, now, limit)
    .all<Omit<EventRow, "data">>();
  return results.sort((a, b) => a.created_at - b.created_at);
}

/**
 * One delivery row per subscribed endpoint (never two for the same pair) and each event marked
 * dispatched, all in one batch; answers the ids of the deliveries this call created.
 */
export async function fanOut(d1: D1Database, plans: { eventId: string; deliveries: { id: string; endpointId: string }[] }[], now: number) {
  const statements = plans.flatMap((plan) => [
    ...plan.deliveries.map((d) =>
      d1
        .prepare(
          `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
           VALUES (?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id`,
        )
        .bind(d.id, d.endpointId, plan.eventId, now, now, now),
    ),
    d1.prepare("UPDATE webhook_events SET dispatched_at = ?, lease_until = NULL WHERE id = ? AND dispatched_at IS NULL").bind(now, plan.eventId),
  ]);
  if (statements.length === 0) return [];
  const results = await d1.batch(statements);
  return results.flatMap((r) => ((r.results ?? []) as { id?: string }[]).flatMap((row) => (row.id ? [row.id] : [])));
}

/** A `ping` event with its one delivery, already dispatched. */
export async function insertPing(d1: D1Database, p: { eventId: string; deliveryId: string; endpointId: string; data: Record<string, unknown>; now: number }) {
  await d1.batch([
    d1
      .prepare("INSERT INTO webhook_events (id, type, data, dispatched_at, created_at) VALUES (?, 'ping', ?, ?, ?)")
      .bind(p.eventId, JSON.stringify(p.data), p.now, p.now),
    d1
      .prepare(
        `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`,
      )
      .bind(p.deliveryId, p.endpointId, p.eventId, p.now, p.now, p.now),
  ]);
}

// ── deliveries ───────────────────────────────────────────────────────────────

const DELIVERY_COLUMNS = `d.id, d.endpoint_id, d.event_id, ev.type, d.status, d.attempts, d.last_status_code, d.last_error,
  d.next_attempt_at, d.delivered_at, d.created_at, d.updated_at`;

export type ClaimedDelivery = {
  delivery: DeliveryRow;
  lock: number;
  event: EventRow;
  /** Null when the endpoint was deleted after the delivery was made. */
  endpoint: EndpointRow | null;
};

/**
 * Takes a due delivery for one attempt and reads its event and endpoint in the same batch.
 * Only a pending or failed one whose time has come and that no live sender holds can be taken,
 * so two copies of a message never send at once.
 */
export async function claimDelivery(d1: D1Database, id: string, now: number, lock: number): Promise<ClaimedDelivery | null> {
  const [claimed, joined] = await d1.batch([
    d1
      .prepare(
        `UPDATE webhook_deliveries SET locked_until = ?1 WHERE id = ?2 AND status IN ('pending', 'failed')
         AND (next_attempt_at IS NULL OR next_attempt_at <= ?3 + 1000) AND (locked_until IS NULL OR locked_until < ?3) RETURNING id`,
      )
      .bind(lock, id, now),
    d1
      .prepare(
        `SELECT ${DELIVERY_COLUMNS}, ev.data AS event_data, ev.request_id AS event_request_id, ev.created_at AS event_created_at,
                e.id AS e_id, e.url, e.description, e.events, e.status AS e_status, e.secret, e.previous_secret, e.previous_secret_expires_at,
                e.failing_since, e.disabled_reason, e.disabled_at, e.version, e.created_at AS e_created_at, e.updated_at AS e_updated_at
           FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id
          WHERE d.id = ?1 AND d.locked_until = ?2`,
      )
      .bind(id, lock),
  ]);
  if (claimed!.results.length === 0) return null;
  const row = joined!.results[0] as Record<string, any> | undefined;
  if (!row) return null;
  const delivery: DeliveryRow = {
    id: row.id, endpoint_id: row.endpoint_id, event_id: row.event_id, type: row.type, status: row.status, attempts: row.attempts,
    last_status_code: row.last_status_code, last_error: row.last_error, next_attempt_at: row.next_attempt_at,
    delivered_at: row.delivered_at, created_at: row.created_at, updated_at: row.updated_at,
  };
  const event: EventRow = { id: row.event_id, type: row.type, data: row.event_data, request_id: row.event_request_id, created_at: row.event_created_at };
  const endpoint: EndpointRow | null = row.e_id
    ? {
        id: row.e_id, url: row.url, description: row.description, events: row.events, status: row.e_status, secret: row.secret,
        previous_secret: row.previous_secret, previous_secret_expires_at: row.previous_secret_expires_at, failing_since: row.failing_since,
        disabled_reason: row.disabled_reason, disabled_at: row.disabled_at, version: row.version, created_at: row.e_created_at, updated_at: row.e_updated_at,
      }
    : null;
  return { delivery, lock, event, endpoint };
}

/** A 2xx: the delivery is done and the endpoint is healthy again. */
export async function recordSuccess(d1: D1Database, c: ClaimedDelivery, statusCode: number, now: number) {
  await d1.batch([
    d1
      .prepare(
        `UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, last_status_code = ?, last_error = NULL,
         next_attempt_at = NULL, locked_until = NULL, delivered_at = ?, updated_at = ? WHERE id = ? AND locked_until = ?`,
      )
      .bind(statusCode, now, now, c.delivery.id, c.lock),
    d1.prepare("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL").bind(c.delivery.endpoint_id),
  ]);
}

export type FailureRecord = { statusCode: number | null; error: string; nextAttemptAt: number | null; disableAfterMs: number; emailIdBase: string };

/**
 * A failed attempt: the delivery waits for `nextAttemptAt` (or is dead when null); the endpoint's
 * failure clock starts, and if it has run past `disableAfterMs` the endpoint is disabled and every
 * admin gets an email row — all in one batch. Answers the email rows to enqueue.
 */
export async function recordFailure(d1: D1Database, c: ClaimedDelivery, f: FailureRecord, now: number) {
  const endpointId = c.delivery.endpoint_id;
  const results = await d1.batch([
    d1
      .prepare(
        `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status_code = ?, last_error = ?, next_attempt_at = ?,
         locked_until = NULL, updated_at = ? WHERE id = ? AND locked_until = ?`,
      )
      .bind(f.nextAttemptAt === null ? "dead" : "failed", f.statusCode, f.error.slice(0, 300), f.nextAttemptAt, now, c.delivery.id, c.lock),
    d1.prepare("UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?) WHERE id = ?").bind(now, endpointId),
    d1
      .prepare(
        `UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'failing', disabled_at = ?1, version = version + 1, updated_at = ?1
         WHERE id = ?2 AND status = 'enabled' AND failing_since IS NOT NULL AND failing_since <= ?1 - ?3`,
      )
      .bind(now, endpointId, f.disableAfterMs),
    d1
      .prepare(
        `INSERT INTO email_outbox (id, template, to_address, payload, priority, status, attempts, dedupe_key, created_at, updated_at)
         SELECT ?1 || '_' || substr(u.id, 5), 'webhook_endpoint_disabled', u.email,
                json_object('endpointId', e.id, 'url', e.url, 'failingSince', e.failing_since), 'critical', 'pending', 0,
                'webhook_endpoint_disabled:' || e.id || ':' || ?2 || ':' || u.id, ?2, ?2
           FROM users u JOIN webhook_endpoints e ON e.id = ?3
          WHERE u.role = 'ADMIN' AND e.status = 'disabled' AND e.disabled_reason = 'failing' AND e.disabled_at = ?2
         ON CONFLICT DO NOTHING RETURNING id, priority, request_id AS requestId`,
      )
      .bind(f.emailIdBase, now, endpointId),
  ]);
  return { disabled: results[2]!.meta.changes === 1, emails: results[3]!.results as { id: string; priority: "critical"; requestId: string | null }[] };
}

/** Gives a claimed delivery back untouched (the endpoint's circuit is open), due again at `retryAt`. */
export async function releaseDelivery(d1: D1Database, c: ClaimedDelivery, retryAt: number, now: number) {
  await d1
    .prepare("UPDATE webhook_deliveries SET locked_until = NULL, next_attempt_at = ?, updated_at = ? WHERE id = ? AND locked_until = ?")
    .bind(retryAt, now, c.delivery.id, c.lock)
    .run();
}

/** Ends a delivery that can never be sent (endpoint gone, disabled, or its URL refused). */
export async function markDeliveryDead(d1: D1Database, c: ClaimedDelivery, error: string, now: number) {
  await d1
    .prepare("UPDATE webhook_deliveries SET status = 'dead', last_error = ?, next_attempt_at = NULL, locked_until = NULL, updated_at = ? WHERE id = ? AND locked_until = ?")
    .bind(error, now, c.delivery.id, c.lock)
    .run();
}

/** An endpoint's deliveries, newest first, optionally of one status; keyset on (created_at, id). */
export async function listDeliveries(d1: D1Database, endpointId: string, status: DeliveryStatus | undefined, after: { createdAt: number; id: string } | null, limit: number) {
  const clauses = ["d.endpoint_id = ?"];
  const params: unknown[] = [endpointId];
  if (status) {
    clauses.push("d.status = ?");
    params.push(status);
  }
  if (after) {
    clauses.push("(d.created_at, d.id) < (?, ?)");
    params.push(after.createdAt, after.id);
  }
  const { results } = await d1
    .prepare(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
      WHERE ${clauses.join(" AND ")} ORDER BY d.created_at DESC, d.id DESC LIMIT ?`)
    .bind(...params, limit)
    .all<DeliveryRow>();
  return results;
}

export function findDelivery(d1: D1Database, id: string) {
  return d1
    .prepare(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id WHERE d.id = ?`)
    .bind(id)
    .first<DeliveryRow>();
}

/** Manual redelivery: any delivery of an enabled endpoint starts a fresh schedule now (unless a sender holds it). */
export function resetForRedelivery(d1: D1Database, id: string, now: number) {
  return d1
    .prepare(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, last_error = NULL, next_attempt_at = ?1, updated_at = ?1
       WHERE id = ?2 AND (locked_until IS NULL OR locked_until < ?1)
         AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = webhook_deliveries.endpoint_id AND status = 'enabled')
       RETURNING id`,
    )
    .bind(now, id)
    .first<{ id: string }>();
}

/** Deliveries whose message was lost (due more than `graceMs` ago, nobody holding them); their time is reset. */
export async function takeOverdueDeliveries(d1: D1Database, now: number, graceMs: number, limit: number) {
  const { results } = await d1
    .prepare(
      `UPDATE webhook_deliveries SET next_attempt_at = ?1, updated_at = ?1 WHERE id IN (
         SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_due_idx
          WHERE status IN ('pending', 'failed') AND next_attempt_at < ?2 LIMIT ?3)
         AND (locked_until IS NULL OR locked_until < ?1)
       RETURNING id`,
    )
    .bind(now, now - graceMs, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Drops finished deliveries and events older than `before` (the log keeps a bounded window). */
export async function purgeBefore(d1: D1Database, before: number, limit: number) {
  const [deliveries, events] = await d1.batch([
    d1
      .prepare(
        `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_due_idx
          WHERE status IN ('succeeded', 'dead') AND next_attempt_at IS NULL AND updated_at < ? LIMIT ?)`,
      )
      .bind(before, limit),
    d1
      .prepare(
        `DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events INDEXED BY webhook_events_created_idx
          WHERE created_at < ? AND dispatched_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id) LIMIT ?)`,
      )
      .bind(before, limit),
  ]);
  return { deliveries: deliveries!.meta.changes, events: events!.meta.changes };
}
