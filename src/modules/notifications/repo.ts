/** D1 access for the email outbox. Every status change is conditional on the current status. */
import type { emailOutbox } from "../../db/schema";

export type OutboxRow = typeof emailOutbox.$inferSelect;
export type OutboxStatus = OutboxRow["status"];
/** What a writer supplies; attempts, errors and send times start empty. */
export type NewOutboxRow = Pick<
  OutboxRow,
  "id" | "template" | "toAddress" | "payload" | "priority" | "status" | "dedupeKey" | "requestId" | "createdAt" | "updatedAt"
>;
/** A row as D1 answers it: the payload still JSON text. */
export type StoredOutboxRow = Omit<OutboxRow, "payload"> & { payload: string };

const OUTBOX_COLUMNS = `id, template, to_address AS toAddress, payload, priority, status, attempts, last_error AS lastError,
  dedupe_key AS dedupeKey, request_id AS requestId, sent_at AS sentAt, next_attempt_at AS nextAttemptAt,
  created_at AS createdAt, updated_at AS updatedAt`;
/** A row nobody holds: pending, or sending under a lease that ran out (`updated_at < ?`). */
const TAKEABLE = "(status = 'pending' OR (status = 'sending' AND updated_at < ?))";

export function toOutboxRow(row: StoredOutboxRow): OutboxRow {
  return { ...row, payload: JSON.parse(row.payload) as Record<string, unknown> };
}

async function firstRow(statement: D1PreparedStatement) {
  const row = await statement.first<StoredOutboxRow>();
  return row && toOutboxRow(row);
}

/**
 * The INSERT of up to OUTBOX_ROWS_PER_STATEMENT outbox rows, answering the rows written. `skip`
 * leaves a row whose dedupe key exists alone (and answers nothing for it); `fail` makes a duplicate
 * an error, for keys that can never repeat.
 */
export function outboxInsertStatement(d1: D1Database, rows: NewOutboxRow[], onDuplicate: "skip" | "fail") {
  return d1
    .prepare(
      `INSERT INTO email_outbox (id, template, to_address, payload, priority, status, dedupe_key, request_id, created_at, updated_at)
       VALUES ${rows.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}
       ${onDuplicate === "skip" ? "ON CONFLICT (dedupe_key) DO NOTHING" : ""} RETURNING ${OUTBOX_COLUMNS}`,
    )
    .bind(
      ...rows.flatMap((row) => [
        row.id,
        row.template,
        row.toAddress,
        JSON.stringify(row.payload),
        row.priority,
        row.status,
        row.dedupeKey,
        row.requestId,
        row.createdAt,
        row.updatedAt,
      ]),
    );
}
/** 10 columns a row: 9 rows keep a statement under D1's 100 bound parameters. */
const OUTBOX_ROWS_PER_STATEMENT = 9;

export function findOutboxRow(d1: D1Database, id: string) {
  return firstRow(d1.prepare(`SELECT ${OUTBOX_COLUMNS} FROM email_outbox WHERE id = ?`).bind(id));
}

export function findOutboxRowByDedupeKey(d1: D1Database, dedupeKey: string) {
  return firstRow(d1.prepare(`SELECT ${OUTBOX_COLUMNS} FROM email_outbox WHERE dedupe_key = ?`).bind(dedupeKey));
}

/**
 * Takes the row for one delivery attempt. Only a pending row, or one whose previous sender went
 * silent for longer than the lease, can be taken — so two copies of a message never both send.
 */
export function claimForSending(d1: D1Database, id: string, now: number, leaseMs: number): Promise<OutboxRow | null> {
  return firstRow(
    d1
      .prepare(`UPDATE email_outbox SET status = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ? AND ${TAKEABLE} RETURNING ${OUTBOX_COLUMNS}`)
      .bind(now, id, now - leaseMs),
  );
}

export async function markSent(d1: D1Database, id: string, now: number) {
  await d1
    .prepare("UPDATE email_outbox SET status = 'sent', sent_at = ?, updated_at = ?, last_error = NULL WHERE id = ? AND status = 'sending'")
    .bind(now, now, id)
    .run();
}

/**
 * A failed send goes back to pending, remembering when the queue will deliver its retry, so the
 * stuck-outbox sweep does not send a duplicate message while that retry is merely waiting.
 */
export async function releaseForRetry(d1: D1Database, id: string, now: number, nextAttemptAt: number, error: string) {
  await d1
    .prepare("UPDATE email_outbox SET status = 'pending', last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'sending'")
    .bind(error.slice(0, 500), nextAttemptAt, now, id)
    .run();
}

/** The sender itself gives up on a row it holds (an email that can never be sent); returns whether it changed. */
export async function markDeadBySender(d1: D1Database, id: string, now: number, error: string) {
  const result = await d1
    .prepare("UPDATE email_outbox SET status = 'dead', last_error = ?, updated_at = ? WHERE id = ? AND status = 'sending'")
    .bind(error.slice(0, 500), now, id)
    .run();
  return result.meta.changes === 1;
}

/**
 * The dead-letter queue's verdict on a row. Only a row nobody is sending can be dead-lettered:
 * a pending one, or one whose sender went silent past the lease. A row another copy of the
 * message is sending right now (a live lease) is left to that sender, which ends it sent or
 * pending again; marking it dead would hide an email that is in fact being delivered.
 */
export async function markDeadIfAbandoned(d1: D1Database, id: string, now: number, leaseMs: number) {
  const result = await d1
    .prepare(`UPDATE email_outbox SET status = 'dead', updated_at = ? WHERE id = ? AND ${TAKEABLE}`)
    .bind(now, id, now - leaseMs)
    .run();
  return result.meta.changes === 1;
}

/** An admin retry: a dead or pending row starts over. */
export function resetForRetry(d1: D1Database, id: string, now: number) {
  return firstRow(
    d1
      .prepare(
        `UPDATE email_outbox SET status = 'pending', attempts = 0, next_attempt_at = NULL, updated_at = ?
         WHERE id = ? AND status IN ('dead', 'pending') RETURNING ${OUTBOX_COLUMNS}`,
      )
      .bind(now, id),
  );
}

/** Writes the rows in one round trip; answers those written (a row whose dedupe key exists is skipped). */
export async function insertOutboxRows(d1: D1Database, rows: NewOutboxRow[]): Promise<OutboxRow[]> {
  if (rows.length === 0) return [];
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < rows.length; i += OUTBOX_ROWS_PER_STATEMENT) {
    statements.push(outboxInsertStatement(d1, rows.slice(i, i + OUTBOX_ROWS_PER_STATEMENT), "skip"));
  }
  const results = await d1.batch<StoredOutboxRow>(statements);
  return results.flatMap((r) => r.results.map(toOutboxRow));
}

/** Newest change first; `after` is the last row of the previous page. */
export async function listOutbox(d1: D1Database, status: OutboxStatus | undefined, after: { updatedAt: number; id: string } | null, limit: number) {
  const clauses: [string, unknown[]][] = [];
  if (status) clauses.push(["status = ?", [status]]);
  if (after) clauses.push(["(updated_at < ? OR (updated_at = ? AND id < ?))", [after.updatedAt, after.updatedAt, after.id]]);
  const where = clauses.length ? `WHERE ${clauses.map(([clause]) => clause).join(" AND ")}` : "";
  const { results } = await d1
    .prepare(`SELECT ${OUTBOX_COLUMNS} FROM email_outbox ${where} ORDER BY updated_at DESC, id DESC LIMIT ?`)
    .bind(...clauses.flatMap(([, args]) => args), limit)
    .all<StoredOutboxRow>();
  return results.map(toOutboxRow);
}

export type StuckRow = Pick<OutboxRow, "id" | "priority" | "requestId">;

const STUCK_COLUMNS = "id, priority, request_id AS requestId";
/** The stuck-outbox sweep's queries, each `(cutoff, limit)`; exported for their EXPLAIN test. */
export const STUCK_QUERIES = {
  firstSends: `SELECT ${STUCK_COLUMNS} FROM email_outbox INDEXED BY email_outbox_first_send_idx
    WHERE status = 'pending' AND next_attempt_at IS NULL AND updated_at < ? ORDER BY updated_at LIMIT ?`,
  retries: `SELECT ${STUCK_COLUMNS} FROM email_outbox INDEXED BY email_outbox_retry_due_idx
    WHERE status = 'pending' AND next_attempt_at IS NOT NULL AND next_attempt_at < ? ORDER BY next_attempt_at LIMIT ?`,
  abandonedSends: `SELECT ${STUCK_COLUMNS} FROM email_outbox WHERE status = 'sending' AND updated_at < ? ORDER BY updated_at LIMIT ?`,
};

/**
 * Rows a lost message or a crashed sender left behind (oldest first, bounded): pending rows whose
 * message is overdue by `marginMs` — the first send counted from the row's last change, a retry
 * from when the queue was due to deliver it — and sending rows whose lease ran out. INDEXED BY:
 * the partial indexes hold exactly the candidates, so retries still waiting are never walked.
 */
export async function findStuck(d1: D1Database, now: number, marginMs: number, leaseMs: number, limit: number): Promise<StuckRow[]> {
  const results = await d1.batch<StuckRow>([
    d1.prepare(STUCK_QUERIES.firstSends).bind(now - marginMs, limit),
    d1.prepare(STUCK_QUERIES.retries).bind(now - marginMs, limit),
    d1.prepare(STUCK_QUERIES.abandonedSends).bind(now - leaseMs, limit),
  ]);
  return results.flatMap((r) => r.results).slice(0, limit);
}

/** Marks rows as re-enqueued now: their new message is due now, so the next sweep waits again. */
export async function touchRows(d1: D1Database, ids: string[], now: number) {
  if (ids.length === 0) return;
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    statements.push(
      d1
        .prepare(`UPDATE email_outbox SET updated_at = ?, next_attempt_at = ? WHERE id IN (${chunk.map(() => "?").join(", ")}) AND status = 'pending'`)
        .bind(now, now, ...chunk),
    );
  }
  await d1.batch(statements);
}

/** Opted-in customers in id order, the page after `afterUserId`. */
export async function listCampaignRecipients(d1: D1Database, afterUserId: string | null, limit: number) {
  const { results } = await d1
    .prepare(
      `SELECT id, email, name FROM users WHERE marketing_opt_in = 1 AND role = 'CUSTOMER' ${afterUserId ? "AND id > ?" : ""} ORDER BY id LIMIT ?`,
    )
    .bind(...(afterUserId ? [afterUserId] : []), limit)
    .all<{ id: string; email: string; name: string }>();
  return results;
}

export type OrderForEmail = {
  order: {
    orderNumber: string;
    currency: string;
    locale: string | null;
    subtotal: number;
    discountTotal: number;
    shippingTotal: number;
    taxTotal: number;
    total: number;
  };
  name: string | null;
  lines: { title: string; sku: string; quantity: number; unitPrice: number; total: number }[];
};

/** The order facts an order email shows, read from the order's own snapshot rows (one round trip). */
export async function loadOrderForEmail(d1: D1Database, orderId: string): Promise<OrderForEmail | null> {
  const [orderRows, lineRows] = await d1.batch([
    d1
      .prepare(
        `SELECT o.order_number AS orderNumber, o.currency AS currency, o.locale AS locale, o.subtotal AS subtotal,
           o.discount_total AS discountTotal, o.shipping_total AS shippingTotal, o.tax_total AS taxTotal, o.total AS total, u.name AS name
         FROM orders o LEFT JOIN users u ON u.id = o.customer_id WHERE o.id = ?`,
      )
      .bind(orderId),
    d1.prepare("SELECT title, sku, quantity, unit_price AS unitPrice, total FROM order_items WHERE order_id = ?").bind(orderId),
  ]);
  const row = orderRows!.results[0] as (OrderForEmail["order"] & { name: string | null }) | undefined;
  if (!row) return null;
  const { name, ...order } = row;
  return { order, name, lines: lineRows!.results as OrderForEmail["lines"] };
}
