/**
 * RateLimiterDO: the sliding windows of one client key (an IP, a user, a hashed login email),
 * one window per policy (DESIGN.md "Rate limiting"). The window math lives in
 * src/modules/rate-limit/window.ts; this class only keeps the accepted timestamps in SQLite (so
 * they survive eviction) with an in-memory copy, and drops an idle key's storage by alarm.
 */
import { DurableObject } from "cloudflare:workers";
import { decide, type WindowDecision } from "../src/modules/rate-limit/window";

type HitRow = { policy: string; at: number };

export class RateLimiterDO extends DurableObject<Env> {
  private windows = new Map<string, number[]>();
  private schemaReady = false;
  private alarmPending = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.ensureSchema();
      this.load();
      this.alarmPending = (await ctx.storage.getAlarm()) !== null;
    });
  }

  /** Rebuilds the in-memory windows from SQLite (after eviction, or after the alarm pruned). */
  private load() {
    this.windows.clear();
    for (const row of this.ctx.storage.sql.exec<HitRow>("SELECT policy, at FROM hits ORDER BY at")) {
      const list = this.windows.get(row.policy) ?? [];
      list.push(row.at);
      this.windows.set(row.policy, list);
    }
  }

  private ensureSchema() {
    if (this.schemaReady) return;
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS hits (policy TEXT NOT NULL, at INTEGER NOT NULL, expires_at INTEGER NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS hits_policy_at ON hits (policy, at)");
    this.schemaReady = true;
  }

  /** Counts one request against `policy` if its window has room, and says how much room is left. */
  async hit(policy: string, limit: number, windowMs: number): Promise<WindowDecision> {
    this.ensureSchema();
    const now = Date.now();
    const { decision, live, expired } = decide(this.windows.get(policy) ?? [], now, limit, windowMs);
    // No await between these writes and the in-memory update: the check-and-record is atomic.
    const sql = this.ctx.storage.sql;
    if (expired > 0) sql.exec("DELETE FROM hits WHERE policy = ? AND at <= ?", policy, now - windowMs);
    if (decision.allowed) sql.exec("INSERT INTO hits (policy, at, expires_at) VALUES (?, ?, ?)", policy, now, now + windowMs);
    this.windows.set(policy, live);
    if (decision.allowed && !this.alarmPending) {
      this.alarmPending = true;
      await this.ctx.storage.setAlarm(now + windowMs);
    }
    return decision;
  }

  /** Drops what has expired; a key with nothing left loses all its storage (idle keys cost nothing). */
  override async alarm() {
    this.ensureSchema();
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM hits WHERE expires_at <= ?", now);
    const next = sql.exec<{ last: number | null }>("SELECT MAX(expires_at) AS last FROM hits").one().last;
    if (next === null) {
      this.windows.clear();
      this.alarmPending = false;
      this.schemaReady = false;
      await this.ctx.storage.deleteAll();
      return;
    }
    this.load();
    this.alarmPending = true;
    await this.ctx.storage.setAlarm(next);
  }
}
