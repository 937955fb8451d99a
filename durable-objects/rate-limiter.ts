/**
 * RateLimiterDO: the sliding windows of one client key (an IP, a user, a hashed login email),
 * one window per policy (DESIGN.md "Rate limiting"). The window math lives in
 * src/modules/rate-limit/window.ts; this class keeps the accepted timestamps in memory and in
 * storage (so they survive eviction), and drops an idle key's storage by alarm.
 *
 * Storage: one key per policy and millisecond, `h:<policy>:<ms>` → count, and `p:<policy>` →
 * window length, so a request costs one small write however large the limit. Writes are
 * coalesced for FLUSH_AFTER_MS and `allowUnconfirmed`: the answer does not wait for the disk (the
 * limiter sits in front of every request; awaiting a write each time cost most of the
 * throughput, load/RESULTS.md). Memory is authoritative while the object lives, and the runtime
 * evicts only objects idle for seconds, so eviction loses nothing; a machine failure can lose the
 * last ~20 ms of hits, which errs towards letting requests pass.
 */
import { DurableObject } from "cloudflare:workers";
import { decide, liveHits, type WindowDecision } from "../src/modules/rate-limit/window";

const UNCONFIRMED = { allowUnconfirmed: true } as const;
/** Writes of this long are coalesced into one storage transaction. */
const FLUSH_AFTER_MS = 20;
const hitKey = (policy: string, at: number) => `h:${policy}:${String(at).padStart(15, "0")}`;

export class RateLimiterDO extends DurableObject<Env> {
  private windows = new Map<string, number[]>();
  private windowMs = new Map<string, number>();
  private alarmAt: number | null = null;
  private pendingPuts = new Map<string, number>();
  private pendingDeletes = new Set<string>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      for (const [key, value] of await ctx.storage.list<number>()) {
        const [kind, policy, at] = key.split(":") as [string, string, string | undefined];
        if (kind === "p") this.windowMs.set(policy, value);
        if (kind === "h" && at) {
          const list = this.windows.get(policy) ?? [];
          for (let i = 0; i < value; i++) list.push(Number(at)); // list() is key-ordered: ascending time
          this.windows.set(policy, list);
        }
      }
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Counts one request against `policy` if its window has room, and says how much room is left. */
  async hit(policy: string, limit: number, windowMs: number): Promise<WindowDecision> {
    const now = Date.now();
    const before = this.windows.get(policy) ?? [];
    const { decision, live, expired } = decide(before, now, limit, windowMs);
    // Memory first, synchronously: concurrent hits see each other; storage follows in order.
    this.windows.set(policy, live);
    if (expired > 0) this.forget(policy, before.slice(0, expired));
    if (this.windowMs.get(policy) !== windowMs) {
      this.windowMs.set(policy, windowMs);
      this.write(`p:${policy}`, windowMs);
    }
    if (decision.allowed) {
      let sameMs = 0;
      for (let i = live.length - 1; i >= 0 && live[i] === now; i--) sameMs++;
      this.write(hitKey(policy, now), sameMs);
      if (this.alarmAt === null) {
        this.alarmAt = now + windowMs;
        void this.ctx.storage.setAlarm(this.alarmAt, UNCONFIRMED);
      }
    }
    return decision;
  }

  private write(key: string, value: number) {
    this.pendingDeletes.delete(key);
    this.pendingPuts.set(key, value);
    this.scheduleFlush();
  }

  private forget(policy: string, expiredHits: number[]) {
    for (const at of new Set(expiredHits)) {
      const key = hitKey(policy, at);
      this.pendingPuts.delete(key);
      this.pendingDeletes.add(key);
    }
    this.scheduleFlush();
  }

  private scheduleFlush() {
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  /** Writes what changed since the last flush, in one implicit transaction (no await in between). */
  private flush() {
    this.flushTimer = null;
    const puts = Object.fromEntries(this.pendingPuts);
    const deletes = [...this.pendingDeletes];
    this.pendingPuts.clear();
    this.pendingDeletes.clear();
    // put() takes at most 128 entries and delete() 128 keys per call.
    const entries = Object.entries(puts);
    for (let i = 0; i < entries.length; i += 128) void this.ctx.storage.put(Object.fromEntries(entries.slice(i, i + 128)), UNCONFIRMED);
    for (let i = 0; i < deletes.length; i += 128) void this.ctx.storage.delete(deletes.slice(i, i + 128), UNCONFIRMED);
  }

  /** Drops what has expired; a key with nothing left loses all its storage (idle keys cost nothing). */
  override async alarm() {
    const now = Date.now();
    let last = 0;
    for (const [policy, hits] of this.windows) {
      const windowMs = this.windowMs.get(policy) ?? 0;
      const live = liveHits(hits, now, windowMs);
      if (live.length < hits.length) this.forget(policy, hits.slice(0, hits.length - live.length));
      if (live.length === 0) this.windows.delete(policy);
      else {
        this.windows.set(policy, live);
        last = Math.max(last, live[live.length - 1]! + windowMs);
      }
    }
    if (this.windows.size === 0) {
      // Unflushed writes are for hits that just expired; dropping them keeps storage empty.
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = null;
      this.pendingPuts.clear();
      this.pendingDeletes.clear();
      this.windowMs.clear();
      this.alarmAt = null;
      await this.ctx.storage.deleteAll();
      return;
    }
    this.alarmAt = last;
    await this.ctx.storage.setAlarm(last);
  }
}
