/** D1 access for the dead-letter store. A replay is claimed by a conditional write, so it happens once. */
import { and, desc, eq, isNotNull, isNull, lt, or } from "drizzle-orm";
import type { Db } from "../../db/client";
import { deadLetters } from "../../db/schema";

export type DeadLetterRow = typeof deadLetters.$inferSelect;

/** Records a message once per (queue, message id); returns whether this call recorded it. */
export async function insertDeadLetter(db: Db, row: typeof deadLetters.$inferInsert): Promise<boolean> {
  const inserted = await db.insert(deadLetters).values(row).onConflictDoNothing({ target: [deadLetters.queue, deadLetters.messageId] }).returning({ id: deadLetters.id });
  return inserted.length === 1;
}

export function findDeadLetter(db: Db, id: string) {
  return db.query.deadLetters.findFirst({ where: eq(deadLetters.id, id) });
}

export function listDeadLetters(
  db: Db,
  filter: { queue?: string; status?: "open" | "replayed" },
  after: { createdAt: number; id: string } | null,
  limit: number,
) {
  const keyset = after
    ? or(lt(deadLetters.createdAt, after.createdAt), and(eq(deadLetters.createdAt, after.createdAt), lt(deadLetters.id, after.id)))
    : undefined;
  const status = filter.status === "open" ? isNull(deadLetters.replayedAt) : filter.status === "replayed" ? isNotNull(deadLetters.replayedAt) : undefined;
  return db
    .select()
    .from(deadLetters)
    .where(and(filter.queue ? eq(deadLetters.queue, filter.queue) : undefined, status, keyset))
    .orderBy(desc(deadLetters.createdAt), desc(deadLetters.id))
    .limit(limit);
}

/** Takes the row for its one replay; null when it was replayed already (or is unknown). */
export async function claimReplay(db: Db, id: string, now: number): Promise<DeadLetterRow | null> {
  const [row] = await db
    .update(deadLetters)
    .set({ replayedAt: now })
    .where(and(eq(deadLetters.id, id), isNull(deadLetters.replayedAt)))
    .returning();
  return row ?? null;
}

/** Gives a claimed replay back when the message could not be sent, so it can be replayed again. */
export async function releaseReplay(db: Db, id: string, claimedAt: number) {
  await db.update(deadLetters).set({ replayedAt: null }).where(and(eq(deadLetters.id, id), eq(deadLetters.replayedAt, claimedAt))).run();
}
