/** Housekeeping the cron sweep runs: drops rows whose only purpose has expired. */
import { lt } from "drizzle-orm";
import { getDb } from "../../db/client";
import { idempotencyKeys, passwordResets, refreshTokens } from "../../db/schema";

export async function purgeExpiredRows(env: Env, now = Date.now()) {
  const db = getDb(env.DB);
  const [idempotency, refresh, resets] = await db.batch([
    db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now)),
    db.delete(refreshTokens).where(lt(refreshTokens.expiresAt, now)),
    db.delete(passwordResets).where(lt(passwordResets.expiresAt, now)),
  ]);
  return {
    idempotencyKeys: idempotency.meta.changes,
    refreshTokens: refresh.meta.changes,
    passwordResets: resets.meta.changes,
  };
}
