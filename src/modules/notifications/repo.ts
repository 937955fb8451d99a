/** D1 access for the email outbox. Every status change is conditional on the current status. */
import { and, desc, eq, inArray, lt, ne, or, sql } from "drizzle-orm";
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

export async function releaseAfterFailure(db: Db, id: string, now: number, error: string) {
  await db
    .update(emailOutbox)
    .set({ status: "pending", lastError: error.slice(0, 500), updatedAt: now })
    .where(and(eq(emailOutbox.id, id), eq(emailOutbox.status, "sending")))
    .run();
}

/** Dead-letters a row unless it was sent meanwhile; returns whether it changed. */
export async function markDead(db: Db, id: string, now: number, error: string | null) {
  const result = await db
    .update(emailOutbox)
    .set({ status: "dead", updatedAt: now, ...(error ? { lastError: error.slice(0, 500) } : {}) })
    .where(and(eq(emailOutbox.id, id), ne(emailOutbox.status, "sent")))
    .run();
  return result.meta.changes === 1;
}

/** An admin retry: a dead or pending row starts over. */
export async function resetForRetry(db: Db, id: string, now: number) {
  const [row] = await db
    .update(emailOutbox)
    .set({ status: "pending", attempts: 0, updatedAt: now })
    .where(and(eq(emailOutbox.id, id), inArray(emailOutbox.status, ["dead", "pending"])))
    .returning();
  return row ?? null;
}

export async function insertOutboxRows(db: Db, rows: (typeof emailOutbox.$inferInsert)[]) {
  if (rows.length === 0) return [];
  // 16 columns a row: at most 6 rows a statement keeps under D1's 100 bound parameters.
  const chunks: (typeof rows)[] = [];
  for (let i = 0; i < rows.length; i += 6) chunks.push(rows.slice(i, i + 6));
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

/** Rows a lost message or a crashed sender left behind (oldest first, bounded). */
export async function findStuck(db: Db, now: number, pendingAgeMs: number, leaseMs: number, limit: number) {
  const [pending, sending] = await db.batch([
    db.select().from(emailOutbox).where(and(eq(emailOutbox.status, "pending"), lt(emailOutbox.updatedAt, now - pendingAgeMs))).orderBy(emailOutbox.updatedAt).limit(limit),
    db.select().from(emailOutbox).where(and(eq(emailOutbox.status, "sending"), lt(emailOutbox.updatedAt, now - leaseMs))).orderBy(emailOutbox.updatedAt).limit(limit),
  ]);
  return [...pending, ...sending];
}

/** Bumps updated_at so the next sweep waits again before re-enqueueing the same rows. */
export async function touchRows(db: Db, ids: string[], now: number) {
  for (let i = 0; i < ids.length; i += 90) {
    await db.update(emailOutbox).set({ updatedAt: now }).where(and(inArray(emailOutbox.id, ids.slice(i, i + 90)), eq(emailOutbox.status, "pending"))).run();
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
