/**
 * RateLimiterDO: the sliding windows of one client key (an IP, a user, a hashed login email),
 * one window per policy (DESIGN.md "Rate limiting"). The window math lives in
 * src/modules/rate-limit/window.ts; this class keeps the accepted timestamps in memory and in
 * storage (so they survive eviction), and drops an idle key's storage by alarm.
 *
 * Storage: the hits accepted during one flush interval are one chunk, `c:<policy>:<first ms>:<n>`
 * → [timestamps], and `p:<policy>` → window length; a chunk is deleted once its newest hit has
 * left the window. Writes are coalesced for FLUSH_AFTER_MS and `allowUnconfirmed`: the answer
 * does not wait for the disk (the limiter sits in front of every request, load/RESULTS.md).
 * Memory is authoritative while the object lives, and the runtime evicts only objects idle for
 * seconds, so eviction loses nothing; a machine failure can lose the last ~20 ms of hits, which
 * errs towards letting requests pass.
 */
import { DurableObject } from "cloudflare:workers";
import { SlidingLog, type WindowDecision } from "../src/modules/rate-limit/window";

const UNCONFIRMED = { allowUnconfirmed: true } as const;
/** Hits accepted within this long are written as one chunk, in one storage transaction. */
const FLUSH_AFTER_MS = 20;

type Chunk = { key: string; newest: number };

export class RateLimiterDO extends DurableObject<Env> {
  private logs = new Map<string, SlidingLog>();
  private windowMs = new Map<string, number>();
  /** Stored chunks per policy, oldest first. */
  private chunks = new Map<string, Chunk[]>();
  private unflushed = new Map<string, number[]>();
  private pendingDeletes: string[] = [];
  private pendingPuts = new Map<string, unknown>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private alarmAt: number | null = null;
  private sequence = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      const hits = new Map<string, number[]>();
      // list() is key-ordered, and chunk keys order by time: hits load ascending.
      for (const [key, value] of await ctx.storage.list<number | number[]>()) {
        const [kind, policy] = key.split(":") as [string, string];
        if (kind === "p") this.windowMs.set(policy, value as number);
        if (kind === "c" && Array.isArray(value) && value.length > 0) {
          hits.set(policy, [...(hits.get(policy) ?? []), ...value]);
          this.chunksOf(policy).push({ key, newest: value[value.length - 1]! });
        }
      }
      for (const [policy, times] of hits) this.logs.set(policy, new SlidingLog(times));
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /**
   * Counts one request against `policy` if its window has room, and says how much room is left.
   * With `lease`, also grants up to that many more slots for the caller's isolate to spend on its
   * own until `leaseUntil` (counted here now, so the total never passes `limit`).
   */
  async hit(policy: string, limit: number, windowMs: number, lease: { want: number; ttlMs: number } | null = null): Promise<WindowDecision & { leased?: number; leaseUntil?: number }> {
    const now = Date.now();
    let log = this.logs.get(policy);
    if (!log) this.logs.set(policy, (log = new SlidingLog()));
    // Memory first, synchronously: concurrent hits see each other; storage follows in order.
    const { decision, expired } = log.decide(now, limit, windowMs);
    if (expired > 0) this.dropExpiredChunks(policy, now - windowMs);
    if (this.windowMs.get(policy) !== windowMs) {
      this.windowMs.set(policy, windowMs);
      this.pendingPuts.set(`p:${policy}`, windowMs);
      this.scheduleFlush();
    }
    const stamped = log.newest ?? now;
    let leased = 0;
    const leaseUntil = now + (lease?.ttlMs ?? 0);
    if (decision.allowed && lease && lease.want > 0) {
      leased = log.lease(limit, lease.want, leaseUntil);
      decision.remaining = Math.max(0, decision.remaining - leased);
    }
    if (decision.allowed) {
      const pending = this.unflushed.get(policy) ?? [];
      pending.push(stamped);
      for (let i = 0; i < leased; i++) pending.push(leaseUntil);
      this.unflushed.set(policy, pending);
      this.scheduleFlush();
      if (this.alarmAt === null) {
        this.alarmAt = leaseUntil + windowMs;
        void this.ctx.storage.setAlarm(this.alarmAt, UNCONFIRMED);
      }
    }
    return lease ? { ...decision, leased, leaseUntil } : decision;
  }

  private chunksOf(policy: string): Chunk[] {
    let list = this.chunks.get(policy);
    if (!list) this.chunks.set(policy, (list = []));
    return list;
  }

  private dropExpiredChunks(policy: string, cutoff: number) {
    const list = this.chunksOf(policy);
    let dead = 0;
    while (dead < list.length && list[dead]!.newest <= cutoff) this.pendingDeletes.push(list[dead++]!.key);
    if (dead > 0) {
      list.splice(0, dead);
      this.scheduleFlush();
    }
  }

  private scheduleFlush() {
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  /** Writes the new chunks and drops the dead ones, in one implicit transaction (no await in between). */
  private flush() {
    this.flushTimer = null;
    for (const [policy, times] of this.unflushed) {
      const key = `c:${policy}:${String(times[0]).padStart(15, "0")}:${String(this.sequence++).padStart(6, "0")}`;
      this.pendingPuts.set(key, times);
      this.chunksOf(policy).push({ key, newest: times[times.length - 1]! });
    }
    this.unflushed.clear();
    const puts = [...this.pendingPuts.entries()];
    const deletes = this.pendingDeletes;
    this.pendingPuts = new Map();
    this.pendingDeletes = [];
    // put() takes at most 128 entries and delete() 128 keys per call.
    for (let i = 0; i < puts.length; i += 128) void this.ctx.storage.put(Object.fromEntries(puts.slice(i, i + 128)), UNCONFIRMED);
    for (let i = 0; i < deletes.length; i += 128) void this.ctx.storage.delete(deletes.slice(i, i + 128), UNCONFIRMED);
  }

  /** Drops what has expired; a key with nothing left loses all its storage (idle keys cost nothing). */
  override async alarm() {
    const now = Date.now();
    let last = 0;
    for (const [policy, log] of this.logs) {
      const windowMs = this.windowMs.get(policy) ?? 0;
      if (log.expire(now, windowMs) > 0) this.dropExpiredChunks(policy, now - windowMs);
      if (log.size === 0) this.logs.delete(policy);
      else last = Math.max(last, log.newest! + windowMs);
    }
    if (this.logs.size === 0) {
      // Unflushed writes are for hits that just expired; dropping them keeps storage empty.
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = null;
      this.unflushed.clear();
      this.pendingPuts.clear();
      this.pendingDeletes = [];
      this.chunks.clear();
      this.windowMs.clear();
      this.alarmAt = null;
      await this.ctx.storage.deleteAll();
      return;
    }
    this.alarmAt = last;
    await this.ctx.storage.setAlarm(last);
  }
}
