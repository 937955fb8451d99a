/** D1 access for users, refresh tokens and password resets. */
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { emailOutbox, passwordResets, refreshTokens, users } from "../../db/schema";

export type UserRow = typeof users.$inferSelect;

export function findUserByEmail(db: Db, email: string) {
  return db.query.users.findFirst({ where: eq(users.email, email) });
}

export function findUserById(db: Db, id: string) {
  return db.query.users.findFirst({ where: eq(users.id, id) });
}

/** Inserts the user unless the email is taken; returns null when it was. */
export async function insertUserIfNew(db: Db, row: typeof users.$inferInsert): Promise<UserRow | null> {
  const [inserted] = await db.insert(users).values(row).onConflictDoNothing({ target: users.email }).returning();
  return inserted ?? null;
}

export async function insertRefreshToken(db: Db, row: typeof refreshTokens.$inferInsert) {
  await db.insert(refreshTokens).values(row);
}

export function findRefreshTokenByHash(db: Db, tokenHash: string) {
  return db.query.refreshTokens.findFirst({ where: eq(refreshTokens.tokenHash, tokenHash) });
}

/** Marks one live token as used; returns false when it was already revoked (a reuse). */
export async function revokeRefreshTokenIfLive(db: Db, id: string, now: number, replacedBy: string | null) {
  const result = await db
    .update(refreshTokens)
    .set({ revokedAt: now, replacedBy })
    .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.revokedAt)))
    .run();
  return result.meta.changes === 1;
}

export async function revokeRefreshFamily(db: Db, familyId: string, now: number) {
  await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
    .run();
}

export async function revokeAllRefreshTokensOfUser(db: Db, userId: string, now: number) {
  await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
    .run();
}

/** The reset row and its email are written in one batch: no reset without its email (outbox). */
export async function insertPasswordResetWithEmail(
  db: Db,
  reset: typeof passwordResets.$inferInsert,
  email: typeof emailOutbox.$inferInsert,
) {
  const [, [row]] = await db.batch([db.insert(passwordResets).values(reset), db.insert(emailOutbox).values(email).returning()]);
  return row!;
}

export function findUsablePasswordReset(db: Db, tokenHash: string) {
  return db.query.passwordResets.findFirst({
    where: and(eq(passwordResets.tokenHash, tokenHash), isNull(passwordResets.usedAt)),
  });
}

/** Spends a reset token; false when another request spent it first. */
export async function spendPasswordReset(db: Db, resetId: string, now: number) {
  const result = await db
    .update(passwordResets)
    .set({ usedAt: now })
    .where(and(eq(passwordResets.id, resetId), isNull(passwordResets.usedAt)))
    .run();
  return result.meta.changes === 1;
}

export async function updatePasswordHash(db: Db, userId: string, passwordHash: string, now: number) {
  await db.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, userId)).run();
}

export async function updateMarketingOptIn(db: Db, userId: string, optIn: boolean, now: number) {
  await db.update(users).set({ marketingOptIn: optIn, updatedAt: now }).where(eq(users.id, userId)).run();
}
