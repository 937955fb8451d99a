/** D1 access for users, refresh tokens and password resets. */
import type { passwordResets, refreshTokens, users } from "../../db/schema";
import { outboxInsertStatement, toOutboxRow, type NewOutboxRow, type OutboxRow, type StoredOutboxRow } from "../notifications/repo";

export type UserRow = typeof users.$inferSelect;
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;
export type PasswordResetRow = typeof passwordResets.$inferSelect;

const USER_COLUMNS = `id, email, password_hash AS passwordHash, name, role, customer_group_id AS customerGroupId,
  marketing_opt_in AS marketingOptIn, created_at AS createdAt, updated_at AS updatedAt`;
const REFRESH_COLUMNS = `id, user_id AS userId, family_id AS familyId, token_hash AS tokenHash, expires_at AS expiresAt,
  revoked_at AS revokedAt, replaced_by AS replacedBy, created_at AS createdAt`;
const RESET_COLUMNS = "id, user_id AS userId, token_hash AS tokenHash, expires_at AS expiresAt, used_at AS usedAt, created_at AS createdAt";

/** SQLite stores the flag as 0/1. */
function toUser(row: (Omit<UserRow, "marketingOptIn"> & { marketingOptIn: number }) | null): UserRow | null {
  return row && { ...row, marketingOptIn: row.marketingOptIn === 1 };
}

export async function findUserByEmail(d1: D1Database, email: string) {
  return toUser(await d1.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`).bind(email).first());
}

export async function findUserById(d1: D1Database, id: string) {
  return toUser(await d1.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`).bind(id).first());
}

/** Inserts the user unless the email is taken; returns null when it was. */
export async function insertUserIfNew(
  d1: D1Database,
  row: Pick<UserRow, "id" | "email" | "name" | "passwordHash" | "role" | "createdAt" | "updatedAt">,
): Promise<UserRow | null> {
  return toUser(
    await d1
      .prepare(
        `INSERT INTO users (id, email, password_hash, name, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (email) DO NOTHING RETURNING ${USER_COLUMNS}`,
      )
      .bind(row.id, row.email, row.passwordHash, row.name, row.role, row.createdAt, row.updatedAt)
      .first(),
  );
}

export async function insertRefreshToken(d1: D1Database, row: Omit<RefreshTokenRow, "revokedAt" | "replacedBy">) {
  await d1
    .prepare("INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(row.id, row.userId, row.familyId, row.tokenHash, row.expiresAt, row.createdAt)
    .run();
}

export function findRefreshTokenByHash(d1: D1Database, tokenHash: string) {
  return d1.prepare(`SELECT ${REFRESH_COLUMNS} FROM refresh_tokens WHERE token_hash = ?`).bind(tokenHash).first<RefreshTokenRow>();
}

/** Marks one live token as used; returns false when it was already revoked (a reuse). */
export async function revokeRefreshTokenIfLive(d1: D1Database, id: string, now: number, replacedBy: string | null) {
  const result = await d1
    .prepare("UPDATE refresh_tokens SET revoked_at = ?, replaced_by = ? WHERE id = ? AND revoked_at IS NULL")
    .bind(now, replacedBy, id)
    .run();
  return result.meta.changes === 1;
}

export async function revokeRefreshFamily(d1: D1Database, familyId: string, now: number) {
  await d1.prepare("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL").bind(now, familyId).run();
}

export async function revokeAllRefreshTokensOfUser(d1: D1Database, userId: string, now: number) {
  await d1.prepare("UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL").bind(now, userId).run();
}

/** The reset row and its email are written in one batch: no reset without its email (outbox). */
export async function insertPasswordResetWithEmail(d1: D1Database, reset: Omit<PasswordResetRow, "usedAt">, email: NewOutboxRow): Promise<OutboxRow> {
  const [, inserted] = await d1.batch([
    d1
      .prepare("INSERT INTO password_resets (id, user_id, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?)")
      .bind(reset.id, reset.userId, reset.tokenHash, reset.expiresAt, reset.createdAt),
    outboxInsertStatement(d1, [email], "fail"),
  ]);
  return toOutboxRow(inserted!.results[0] as StoredOutboxRow);
}

export function findUsablePasswordReset(d1: D1Database, tokenHash: string) {
  return d1.prepare(`SELECT ${RESET_COLUMNS} FROM password_resets WHERE token_hash = ? AND used_at IS NULL`).bind(tokenHash).first<PasswordResetRow>();
}

/** Spends a reset token; false when another request spent it first. */
export async function spendPasswordReset(d1: D1Database, resetId: string, now: number) {
  const result = await d1.prepare("UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL").bind(now, resetId).run();
  return result.meta.changes === 1;
}

export async function updatePasswordHash(d1: D1Database, userId: string, passwordHash: string, now: number) {
  await d1.prepare("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?").bind(passwordHash, now, userId).run();
}

export async function updateMarketingOptIn(d1: D1Database, userId: string, optIn: boolean, now: number) {
  await d1.prepare("UPDATE users SET marketing_opt_in = ?, updated_at = ? WHERE id = ?").bind(optIn ? 1 : 0, now, userId).run();
}
