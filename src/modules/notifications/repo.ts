/** D1 access for the email outbox. Every status change is conditional on the current status. */
import { and, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { emailOutbox, orderItems, orders, users } from "../../db/schema";

export type OutboxRow = typeof emailOutbox.$inferSelect;
export type OutboxStatus = OutboxRow["status"];

export function findOutboxRow(db: Db, id: string) {
  return db.query.emailOutbox.findFirst({ where: eq(emailOutbox.id, id) });
}

export function findOutboxRowByDedupeKey(db: Db, dedupeKey: string) {
  return db.query.emailOutbox.findFirst({ where: eq(emailOutbox.dedupeKey, dedupeKey) });
}

/**
 * Takes the row for one delivery attempt. Only a pending row, or one whose previous sender went
 * silent for longer than the lease, can be taken — so two copies of a message never both send.
 */
export async function claimForSending(db: Db, id: string, now: number, leaseMs: number): Promise<OutboxRow | null> {
  const [row] = await db
    .update(emailOutbox)
    .set({ status: "sending", attempts: sql`${emailOutbox.attempts} + 1`, updatedAt: now })
    .where(
      and(
        eq(emailOutbox.id, id),
        or(eq(emailOutbox.status, "pending"), and(eq(emailOutbox.status, "sending"), lt(emailOutbox.updatedAt, now - leaseMs))),
      ),
    )
    .returning();
  return row ?? null;
}

export async function markSent(db: Db, id: string, now: number) {
  await db
    .update(emailOutbox)
    .set({ status: "sent", sentAt: now, updatedAt: now, lastError: null })
    .where(and(eq(emailOutbox.id, id), eq(emailOutbox.status, "sending")))
    .run();
}

/**
 * A failed send goes back to pending, remembering when the queue will deliver its retry, so the
 * stuck-outbox sweep does not send a duplicate message while that retry is merely waiting.
 */
export async function releaseForRetry(db: Db, id: string, now: number, nextAttemptAt: number, error: string) {
  await db
    .update(emailOutbox)
    .set({ status: "pending", lastError: error.slice(0, 500), nextAttemptAt, updatedAt: now })
    .where(and(eq(emailOutbox.id, id), eq(emailOutbox.status, "sending")))
    .run();
}

/** The sender itself gives up on a row it holds (an email that can never be sent); returns whether it changed. */
export async function markDeadBySender(db: Db, id: string, now: number, error: string) {
  const result = await db
    .update(emailOutbox)
    .set({ status: "dead", lastError: error.slice(0, 500), updatedAt: now })
    .where(and(eq(emailOutbox.id, id), eq(emailOutbox.status, "sending")))
    .run();
  return result.meta.changes === 1;
}

/**
 * The dead-letter queue's verdict on a row. Only a row nobody is sending can be dead-lettered:
 * a pending one, or one whose sender went silent past the lease. A row another copy of the
 * message is sending right now (a live lease) is left to that sender, which ends it sent or
 * pending again; marking it dead would hide an email that is in fact being delivered.
 */
export async function markDeadIfAbandoned(db: Db, id: string, now: number, leaseMs: number) {
  const result = await db
    .update(emailOutbox)
    .set({ status: "dead", updatedAt: now })
    .where(
      and(
        eq(emailOutbox.id, id),
        or(eq(emailOutbox.status, "pending"), and(eq(emailOutbox.status, "sending"), lt(emailOutbox.updatedAt, now - leaseMs))),
      ),
    )
    .run();
  return result.meta.changes === 1;
}

/** An admin retry: a dead or pending row starts over. */
export async function resetForRetry(db: Db, id: string, now: number) {
  const [row] = await db
    .update(emailOutbox)
    .set({ status: "pending", attempts: 0, nextAttemptAt: null, updatedAt: now })
    .where(and(eq(emailOutbox.id, id), inArray(emailOutbox.status, ["dead", "pending"])))
    .returning();
  return row ?? null;
}

export async function insertOutboxRows(db: Db, rows: (typeof emailOutbox.$inferInsert)[]) {
  if (rows.length === 0) return [];
  // 17 columns a row: at most 5 rows a statement keeps under D1's 100 bound parameters.
  const chunks: (typeof rows)[] = [];
  for (let i = 0; i < rows.length; i += 5) chunks.push(rows.slice(i, i + 5));
  const inserted = await Promise.all(
    chunks.map((chunk) => db.insert(emailOutbox).values(chunk).onConflictDoNothing({ target: emailOutbox.dedupeKey }).returning()),
  );
  return inserted.flat();
}

export function listOutbox(db: Db, status: OutboxStatus | undefined, after: { updatedAt: number; id: string } | null, limit: number) {
  const keyset = after
    ? or(lt(emailOutbox.updatedAt, after.updatedAt), and(eq(emailOutbox.updatedAt, after.updatedAt), lt(emailOutbox.id, after.id)))
    : undefined;
  return db
    .select()
    .from(emailOutbox)
    .where(and(status ? eq(emailOutbox.status, status) : undefined, keyset))
    .orderBy(desc(emailOutbox.updatedAt), desc(emailOutbox.id))
    .limit(limit);
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
export async function touchRows(db: Db, ids: string[], now: number) {
  for (let i = 0; i < ids.length; i += 90) {
    await db
      .update(emailOutbox)
      .set({ updatedAt: now, nextAttemptAt: now })
      .where(and(inArray(emailOutbox.id, ids.slice(i, i + 90)), eq(emailOutbox.status, "pending")))
      .run();
  }
}

/** The order facts an order email shows, read from the order's own snapshot rows. */
export async function loadOrderForEmail(db: Db, orderId: string) {
  const [order] = await db
    .select({ order: orders, name: users.name })
    .from(orders)
    .leftJoin(users, eq(users.id, orders.customerId))
    .where(eq(orders.id, orderId));
  if (!order) return null;
  const lines = await db.select().from(orderItems).where(eq(orderItems.orderId, orderId));
  return { ...order, lines };
}
