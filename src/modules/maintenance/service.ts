/** Housekeeping the cron sweep runs: drops rows whose only purpose has expired. */

export async function purgeExpiredRows(env: Env, now = Date.now()) {
  const d1 = env.DB;
  const [idempotency, refresh, resets] = await d1.batch([
    d1.prepare("DELETE FROM idempotency_keys WHERE expires_at < ?").bind(now),
    d1.prepare("DELETE FROM refresh_tokens WHERE expires_at < ?").bind(now),
    d1.prepare("DELETE FROM password_resets WHERE expires_at < ?").bind(now),
  ]);
  return {
    idempotencyKeys: idempotency!.meta.changes,
    refreshTokens: refresh!.meta.changes,
    passwordResets: resets!.meta.changes,
  };
}
