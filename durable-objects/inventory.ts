/**
 * InventoryDO: the authoritative stock of one variant, or of one shard of it (docs/checkout.md
 * "Stock"). The home object is addressed by `idFromName(variantId)`; a variant split for a flash
 * sale has shards `variantId#1 … #N-1`, each holding a slice of the stock, with the home object
 * (shard 0) as their coordinator. Every check-and-write is synchronous SQL with no `await` between
 * the read and the write, so it commits atomically; decisions live in src/modules/inventory/ledger.
 *
 * Sharding, in short (docs/performance.md): a checkout's hold lives on shard hash(checkout) % N,
 * or — when that shard runs dry — on the coordinator, which first pulls every shard's free units
 * back. Units move between objects only as logged transfers applied once on each side, so a
 * crash mid-transfer loses nothing (the coordinator's alarm finishes it). Release, restock and
 * close go through the coordinator, which forwards them to every shard.
 */
import { DurableObject } from "cloudflare:workers";
import { createLogger } from "../src/lib/log";
import {
  allowedOnHand,
  available,
  decideClose,
  decideCommit,
  decideReserve,
  decideReturnUnits,
  view,
  type ChangeResult,
  type CommitResult,
  type Hold,
  type Level,
  type LevelView,
  type ReserveResult,
} from "../src/modules/inventory/ledger";

const PRUNE_RELEASED_AFTER_MS = 24 * 3600_000;
/** Changes are sent to the read model at most this often (the latest level wins). */
const SYNC_FLUSH_MS = 500;
/** A transfer not acknowledged by now is retried by the alarm. */
const TRANSFER_RETRY_MS = 5_000;
export const MAX_SHARDS = 16;

type HoldRow = { qty: number; status: Hold["status"]; expires_at: number };
type Transfer = { id: string; shard: number; kind: "grant" | "surrender"; units: number | null };
type StockStub = InventoryDO;

/** `variantId` for the home object (shard 0), `variantId#k` for shard k. */
export function parseStockKey(key: string): { variantId: string; shard: number } {
  const at = key.indexOf("#");
  if (at < 0) return { variantId: key, shard: 0 };
  return { variantId: key.slice(0, at), shard: Number(key.slice(at + 1)) };
}
export const stockKey = (variantId: string, shard: number) => (shard === 0 ? variantId : `${variantId}#${shard}`);

export class InventoryDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** One pull of the shards' free units at a time; concurrent shortfalls wait for it and look again. */
  private pulling: Promise<void> | null = null;
  private flushArmed = false;
  private arming: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS level (
        id INTEGER PRIMARY KEY CHECK (id = 1), variant_id TEXT NOT NULL,
        on_hand INTEGER NOT NULL, reserved INTEGER NOT NULL, version INTEGER NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS holds (
        checkout_id TEXT PRIMARY KEY, qty INTEGER NOT NULL, status TEXT NOT NULL, expires_at INTEGER NOT NULL)`);
      this.sql.exec("CREATE INDEX IF NOT EXISTS holds_due ON holds (status, expires_at)");
      this.sql.exec("CREATE TABLE IF NOT EXISTS ops (op_id TEXT PRIMARY KEY, result TEXT NOT NULL, fingerprint TEXT)");
      // Objects created before ops had a fingerprint gain the column (SQLite has no ADD COLUMN IF NOT EXISTS).
      const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(ops)").toArray();
      if (!columns.some((c) => c.name === "fingerprint")) this.sql.exec("ALTER TABLE ops ADD COLUMN fingerprint TEXT");
      this.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      // Coordinator: transfers it started; shard: transfers it applied (each applied once, by id).
      this.sql.exec(`CREATE TABLE IF NOT EXISTS transfers (
        id TEXT PRIMARY KEY, shard INTEGER NOT NULL, kind TEXT NOT NULL, units INTEGER, status TEXT NOT NULL, created_at INTEGER NOT NULL)`);
      this.sql.exec("CREATE TABLE IF NOT EXISTS applied_transfers (id TEXT PRIMARY KEY, units INTEGER NOT NULL)");
    });
  }

  // ── Holds of checkouts ──────────────────────────────────────────────────────

  /**
   * Holds `qty` units for a checkout until `expiresAt`. Keyed by what it holds: the same quantity
   * again only extends the hold; another quantity moves the hold to it, or fails when the extra
   * units are not free (the old hold stays for the caller to release). On the coordinator of a
   * sharded variant a shortfall first pulls the shards' free units back; a shard just says it is
   * short, and the caller turns to the coordinator (`refill` names that shard, to top it up).
   */
  async reserve(key: string, checkoutId: string, qty: number, expiresAt: number, refill: number | null = null): Promise<ReserveResult> {
    if (!Number.isSafeInteger(qty) || qty < 1) throw new RangeError("qty must be a positive integer");
    const { variantId, shard } = parseStockKey(key);
    await this.load(variantId, shard);
    let result = this.reserveHere(variantId, checkoutId, qty, expiresAt);
    if (!result.ok && shard === 0 && this.shardCount() > 1) {
      await this.pullShards(variantId);
      result = this.reserveHere(variantId, checkoutId, qty, expiresAt);
    }
    if (result.ok && shard === 0 && refill !== null) this.topUp(variantId, refill);
    if (result.ok) await this.armAlarm(expiresAt);
    return result;
  }

  private reserveHere(variantId: string, checkoutId: string, qty: number, expiresAt: number): ReserveResult {
    const level = this.level();
    const decision = decideReserve(level, this.hold(checkoutId), qty);
    if (decision.kind === "noop") return { ok: true, level: view(variantId, level) };
    if (decision.kind === "insufficient") {
      return { ok: false, code: "INSUFFICIENT_INVENTORY", available: view(variantId, level).available, level: view(variantId, level) };
    }
    if (decision.kind === "extend") {
      this.sql.exec("UPDATE holds SET expires_at = MAX(expires_at, ?) WHERE checkout_id = ?", expiresAt, checkoutId);
      return { ok: true, level: view(variantId, level) };
    }
    this.sql.exec(
      `INSERT INTO holds (checkout_id, qty, status, expires_at) VALUES (?, ?, 'held', ?)
       ON CONFLICT (checkout_id) DO UPDATE SET qty = excluded.qty, status = 'held', expires_at = excluded.expires_at`,
      checkoutId, qty, expiresAt,
    );
    return this.changed(variantId, this.write({ ...level, reserved: level.reserved + decision.delta }));
  }

  /**
   * Sells exactly `qty` units to the checkout: its hold covers what it holds, free stock the rest.
   * Idempotent. A shard sells only what it holds (else NO_RESERVATION: ask the coordinator); the
   * coordinator sells free stock too, pulling the shards' free units when short.
   */
  async commit(key: string, checkoutId: string, qty: number): Promise<CommitResult> {
    if (!Number.isSafeInteger(qty) || qty < 1) throw new RangeError("qty must be a positive integer");
    const { variantId, shard } = parseStockKey(key);
    await this.load(variantId, shard);
    if (shard > 0) {
      // A shard sells only a hold it has: anything else is the coordinator's to decide.
      const hold = this.hold(checkoutId);
      if (!hold || hold.status === "released") return { ok: false, code: "NO_RESERVATION", level: view(variantId, this.level()) };
    }
    let result = this.commitHere(variantId, checkoutId, qty);
    if (!result.ok && result.code === "INSUFFICIENT_INVENTORY" && shard === 0 && this.shardCount() > 1) {
      await this.pullShards(variantId);
      result = this.commitHere(variantId, checkoutId, qty);
    }
    return result;
  }

  private commitHere(variantId: string, checkoutId: string, qty: number): CommitResult {
    const level = this.level();
    const decision = decideCommit(level, this.hold(checkoutId), qty);
    if (decision.kind === "noop") return { ok: true, level: view(variantId, level) };
    if (decision.kind === "closed") return { ok: false, code: "CHECKOUT_CLOSED", level: view(variantId, level) };
    if (decision.kind === "insufficient") return { ok: false, code: "INSUFFICIENT_INVENTORY", level: view(variantId, level) };
    this.sql.exec(
      `INSERT INTO holds (checkout_id, qty, status, expires_at) VALUES (?, ?, 'committed', 0)
       ON CONFLICT (checkout_id) DO UPDATE SET qty = excluded.qty, status = 'committed', expires_at = 0`,
      checkoutId, decision.sold,
    );
    return this.changed(variantId, this.write({ ...level, onHand: level.onHand + decision.onHandDelta, reserved: level.reserved + decision.reservedDelta }));
  }

  /**
   * Ends the checkout's claim on this variant for good (it will never be an order): a live hold
   * is freed, sold units come back on hand, and a tombstone refuses any later reserve or commit —
   * here and, from the coordinator, on every shard.
   */
  async close(key: string, checkoutId: string): Promise<LevelView> {
    return this.everywhere(key, (stub, shardKey) => stub.close(shardKey, checkoutId), (variantId) => {
      const level = this.level();
      const change = decideClose(this.hold(checkoutId));
      if (!change) return;
      this.sql.exec(
        `INSERT INTO holds (checkout_id, qty, status, expires_at) VALUES (?, 0, 'closed', ?)
         ON CONFLICT (checkout_id) DO UPDATE SET status = 'closed', expires_at = excluded.expires_at`,
        checkoutId, Date.now(),
      );
      if (change.onHandDelta !== 0 || change.reservedDelta !== 0) {
        this.changed(variantId, this.write({ ...level, onHand: level.onHand + change.onHandDelta, reserved: level.reserved + change.reservedDelta }));
      }
    });
  }

  /** Frees the checkout's hold (no-op when there is none or it was sold), wherever it is. */
  async release(key: string, checkoutId: string): Promise<LevelView> {
    return this.everywhere(key, (stub, shardKey) => stub.release(shardKey, checkoutId), (variantId) => {
      const level = this.level();
      const hold = this.hold(checkoutId);
      if (hold?.status !== "held") return;
      this.sql.exec("UPDATE holds SET status = 'released' WHERE checkout_id = ?", checkoutId);
      this.changed(variantId, this.write({ ...level, reserved: level.reserved - hold.qty }));
    });
  }

  /** Puts the units a checkout bought back on hand (order cancelled or refunded); idempotent, wherever they were sold. */
  async restock(key: string, checkoutId: string): Promise<LevelView> {
    return this.everywhere(key, (stub, shardKey) => stub.restock(shardKey, checkoutId), (variantId) => {
      const level = this.level();
      const hold = this.hold(checkoutId);
      if (hold?.status !== "committed") return;
      this.sql.exec("UPDATE holds SET status = 'returned' WHERE checkout_id = ?", checkoutId);
      this.changed(variantId, this.write({ ...level, onHand: level.onHand + hold.qty }));
    });
  }

  /** Applies `here` on this object; the coordinator also forwards the call to every shard ever used, and answers the whole variant's level. */
  private async everywhere(key: string, forward: (stub: StockStub, shardKey: string) => Promise<LevelView>, here: (variantId: string) => void): Promise<LevelView> {
    const { variantId, shard } = parseStockKey(key);
    await this.load(variantId, shard);
    here(variantId);
    if (shard > 0 || this.shardsEverUsed() <= 1) return view(variantId, this.level());
    await Promise.all(this.shardIndexes(this.shardsEverUsed()).map((k) => forward(this.shardStub(variantId, k), stockKey(variantId, k))));
    return this.wholeLevel(variantId);
  }

  // ── Admin changes (coordinator) ─────────────────────────────────────────────

  /**
   * Puts back `qty` of the units a checkout bought (a return received), once per `opId`; the sale
   * shrinks by as many, so restocking or closing the checkout later gives back only the rest.
   * The coordinator puts back what was sold here, then asks the shards for the rest (each once per
   * `opId` too, so a retried call after a crash asks them for the same amounts). Answers the units
   * put back (0 when the checkout has none left sold anywhere).
   */
  async returnUnits(key: string, checkoutId: string, opId: string, qty: number): Promise<{ returned: number; level: LevelView }> {
    if (!Number.isSafeInteger(qty) || qty < 1) throw new RangeError("qty must be a positive integer");
    const { variantId, shard } = parseStockKey(key);
    await this.load(variantId, shard);
    const here = this.returnHere(variantId, checkoutId, opId, qty);
    if (shard > 0 || this.shardsEverUsed() <= 1 || here.returned === qty) return here;
    let left = qty - here.returned;
    for (const k of this.shardIndexes(this.shardsEverUsed())) {
      if (left === 0) break;
      left -= (await this.shardStub(variantId, k).returnUnits(stockKey(variantId, k), checkoutId, opId, left)).returned;
    }
    return { returned: qty - left, level: await this.wholeLevel(variantId) };
  }

  private returnHere(variantId: string, checkoutId: string, opId: string, qty: number): { returned: number; level: LevelView } {
    const done = this.sql.exec<{ result: string }>("SELECT result FROM ops WHERE op_id = ?", opId).toArray()[0];
    if (done) return JSON.parse(done.result) as { returned: number; level: LevelView };
    const level = this.level();
    const decision = decideReturnUnits(this.hold(checkoutId), qty);
    let result = { returned: 0, level: view(variantId, level) };
    if (decision) {
      this.sql.exec("UPDATE holds SET qty = ?, status = CASE WHEN ? = 0 THEN 'returned' ELSE status END WHERE checkout_id = ?", decision.soldLeft, decision.soldLeft, checkoutId);
      result = { returned: decision.back, level: this.changed(variantId, this.write({ ...level, onHand: level.onHand + decision.back })).level };
    }
    this.sql.exec("INSERT INTO ops (op_id, result, fingerprint) VALUES (?, ?, ?)", opId, JSON.stringify(result), `return:${qty}`);
    return result;
  }

  /**
   * Adds `delta` to on-hand stock, never below what is reserved. Idempotent per `opId`: a repeat
   * answers the first outcome; a repeat with another request (`fingerprint`) is refused.
   */
  async adjust(variantId: string, opId: string, delta: number, fingerprint = `adjust:${delta}`): Promise<ChangeResult> {
    return this.applyOnce(variantId, opId, fingerprint, (level) => level.onHand + delta);
  }

  /** Sets the variant's whole on-hand stock, never below what is reserved; idempotent per `opId` like `adjust`. */
  async set(variantId: string, opId: string, onHand: number, fingerprint = `set:${onHand}`): Promise<ChangeResult> {
    return this.applyOnce(variantId, opId, fingerprint, (_level, elsewhere) => onHand - elsewhere);
  }

  /** The variant's level: this object's, or for a sharded variant's coordinator, all of them together. */
  async snapshot(key: string): Promise<LevelView> {
    const { variantId, shard } = parseStockKey(key);
    await this.load(variantId, shard);
    if (shard > 0 || this.shardsEverUsed() <= 1) return view(variantId, this.level());
    await this.retryTransfers(variantId);
    return this.wholeLevel(variantId);
  }

  /** This object's own level (a shard's slice), without asking the others. */
  async localSnapshot(key: string): Promise<LevelView & { shard: number }> {
    const { variantId, shard } = parseStockKey(key);
    await this.load(variantId, shard);
    return { ...view(variantId, this.level()), shard };
  }

  /**
   * Splits the variant over `count` objects (1 = no sharding). Growing hands each new shard an
   * equal slice of the coordinator's free stock; shrinking pulls the free stock of the shards
   * that go (their live holds still commit or expire where they are).
   */
  async setShards(variantId: string, count: number): Promise<{ shards: number; level: LevelView }> {
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SHARDS) throw new RangeError(`shards must be 1..${MAX_SHARDS}`);
    await this.load(variantId, 0);
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('shards', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", String(count));
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('shards_ever', ?) ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
      String(count),
    );
    await this.pullShards(variantId);
    if (count > 1) {
      const share = Math.floor(available(this.level()) / count);
      if (share > 0) await Promise.all(this.shardIndexes(count).map((k) => this.grant(variantId, k, share)));
    }
    return { shards: count, level: await this.wholeLevel(variantId) };
  }

  // ── Transfers between a coordinator and its shards ─────────────────────────

  /** Shard side: gives every free unit back to the coordinator; a repeat of the same transfer answers the same count. */
  async surrender(key: string, transferId: string): Promise<number> {
    const { variantId, shard } = parseStockKey(key);
    await this.load(variantId, shard);
    const done = this.sql.exec<{ units: number }>("SELECT units FROM applied_transfers WHERE id = ?", transferId).toArray()[0];
    if (done) return done.units;
    const level = this.level();
    const units = available(level);
    this.sql.exec("INSERT INTO applied_transfers (id, units) VALUES (?, ?)", transferId, units);
    if (units > 0) this.changed(variantId, this.write({ ...level, onHand: level.onHand - units }));
    return units;
  }

  /** Shard side: takes a slice the coordinator granted; applied once per transfer. */
  async receive(key: string, transferId: string, units: number): Promise<void> {
    const { variantId, shard } = parseStockKey(key);
    await this.load(variantId, shard);
    if (this.sql.exec("SELECT 1 FROM applied_transfers WHERE id = ?", transferId).toArray().length > 0) return;
    this.sql.exec("INSERT INTO applied_transfers (id, units) VALUES (?, ?)", transferId, units);
    const level = this.level();
    this.changed(variantId, this.write({ ...level, onHand: level.onHand + units }));
  }

  /** Coordinator: brings every shard's free units home (one pull at a time; a concurrent caller waits for it). */
  private async pullShards(variantId: string): Promise<void> {
    if (this.shardsEverUsed() <= 1) return;
    if (!this.pulling) {
      this.pulling = (async () => {
        await this.retryTransfers(variantId);
        await Promise.all(this.shardIndexes(this.shardsEverUsed()).map((k) => this.runTransfer(variantId, this.startTransfer(k, "surrender", null))));
      })().finally(() => (this.pulling = null));
    }
    await this.pulling;
  }

  /** Coordinator: moves `units` free units to shard `k` (taken from here at once, applied there once). */
  private async grant(variantId: string, k: number, units: number): Promise<void> {
    const level = this.level();
    const give = Math.min(units, available(level));
    if (give <= 0) return;
    const transfer = this.startTransfer(k, "grant", give);
    this.changed(variantId, this.write({ ...level, onHand: level.onHand - give }));
    await this.runTransfer(variantId, transfer);
  }

  /** A shard that ran dry gets a slice back when the coordinator has plenty (at most a fair share). */
  private topUp(variantId: string, k: number) {
    const count = this.shardCount();
    if (k <= 0 || k >= count) return;
    const free = available(this.level());
    const share = Math.floor(free / (count + 1));
    if (share >= 2) this.ctx.waitUntil(this.grant(variantId, k, share).catch(() => undefined));
  }

  private startTransfer(shard: number, kind: Transfer["kind"], units: number | null): Transfer {
    const id = `${kind}_${crypto.randomUUID()}`;
    this.sql.exec("INSERT INTO transfers (id, shard, kind, units, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?)", id, shard, kind, units, Date.now());
    void this.armAlarm(Date.now() + TRANSFER_RETRY_MS);
    return { id, shard, kind, units };
  }

  /** Carries a logged transfer to its shard and marks it done; a failure leaves it for the alarm to retry. */
  private async runTransfer(variantId: string, t: Transfer): Promise<void> {
    const stub = this.shardStub(variantId, t.shard);
    const key = stockKey(variantId, t.shard);
    if (t.kind === "grant") {
      await stub.receive(key, t.id, t.units!);
      this.sql.exec("UPDATE transfers SET status = 'done' WHERE id = ?", t.id);
      return;
    }
    const units = await stub.surrender(key, t.id);
    // Applied here in the same synchronous step that marks it done: exactly once.
    const pending = this.sql.exec("SELECT 1 FROM transfers WHERE id = ? AND status = 'pending'", t.id).toArray().length > 0;
    if (!pending) return;
    this.sql.exec("UPDATE transfers SET status = 'done', units = ? WHERE id = ?", units, t.id);
    if (units > 0) {
      const level = this.level();
      this.changed(variantId, this.write({ ...level, onHand: level.onHand + units }));
    }
  }

  private async retryTransfers(variantId: string): Promise<void> {
    const pending = this.sql.exec<Transfer>("SELECT id, shard, kind, units FROM transfers WHERE status = 'pending'").toArray();
    await Promise.all(pending.map((t) => this.runTransfer(variantId, t).catch(() => undefined)));
  }

  /** Units a coordinator granted that a shard has not confirmed yet (counted in the variant's whole level). */
  private unitsInTransit(): number {
    return this.sql.exec<{ units: number | null }>("SELECT SUM(units) AS units FROM transfers WHERE status = 'pending' AND kind = 'grant'").one().units ?? 0;
  }

  private async wholeLevel(variantId: string): Promise<LevelView> {
    const own = this.level();
    const shards = await Promise.all(this.shardIndexes(this.shardsEverUsed()).map((k) => this.shardStub(variantId, k).localSnapshot(stockKey(variantId, k))));
    const onHand = own.onHand + this.unitsInTransit() + shards.reduce((s, l) => s + l.onHand, 0);
    const reserved = own.reserved + shards.reduce((s, l) => s + l.reserved, 0);
    const version = own.version + shards.reduce((s, l) => s + l.version, 0);
    return view(variantId, { onHand, reserved, version });
  }

  // ── Alarm: sync flush, transfer retries, hold expiry ────────────────────────

  /** Sends the read model the latest level, finishes transfers, releases holds that are due; alarms may fire twice. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.flushArmed = false;
    const row = this.sql.exec<{ variant_id: string }>("SELECT variant_id FROM level WHERE id = 1").toArray()[0];
    if (!row) return;
    const { variantId, shard } = parseStockKey(row.variant_id);
    const due = this.sql
      .exec<{ checkout_id: string; qty: number }>("SELECT checkout_id, qty FROM holds WHERE status = 'held' AND expires_at <= ?", now)
      .toArray();
    if (due.length > 0) {
      const freed = due.reduce((sum, h) => sum + h.qty, 0);
      this.sql.exec("UPDATE holds SET status = 'released' WHERE status = 'held' AND expires_at <= ?", now);
      const level = this.level();
      this.write({ ...level, reserved: Math.max(0, level.reserved - freed) });
      this.markDirty(false);
    }
    // Released holds are safe to forget (a late commit or reserve treats a missing hold like a released one),
    // and a closed checkout's tombstone is only needed while a late finalize could still run.
    this.sql.exec("DELETE FROM holds WHERE status IN ('released', 'closed') AND expires_at < ?", now - PRUNE_RELEASED_AFTER_MS);
    this.sql.exec("DELETE FROM transfers WHERE status = 'done' AND created_at < ?", now - PRUNE_RELEASED_AFTER_MS);
    if (this.meta("sync_dirty") === "1") await this.flushSync(variantId, shard);
    if (shard === 0) await this.retryTransfers(variantId);
    const nextHold = this.sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM holds WHERE status = 'held'").one().at;
    const transfersLeft = this.sql.exec("SELECT 1 FROM transfers WHERE status = 'pending'").toArray().length > 0;
    const next = Math.min(nextHold ?? Infinity, transfersLeft ? now + TRANSFER_RETRY_MS : Infinity, this.meta("sync_dirty") === "1" ? now + SYNC_FLUSH_MS : Infinity);
    if (Number.isFinite(next)) await this.armAlarm(next);
  }

  /** One message with the latest level; the consumer keeps only newer versions, so this may repeat. */
  private async flushSync(variantId: string, shard: number) {
    this.sql.exec("UPDATE meta SET value = '0' WHERE key = 'sync_dirty'");
    const level = this.level();
    try {
      await this.env.INVENTORY_SYNC.send({ variantId, shard, onHand: level.onHand, reserved: level.reserved, version: level.version });
    } catch (err) {
      // Lost, the next change or the reconcile sweep brings the read model up to date.
      createLogger({ variantId }).error("inventory_sync_send_failed", { name: err instanceof Error ? err.name : "unknown" });
    }
  }

  // ── Internals ──────────────────────────────────────────────────────────────

  private async applyOnce(variantId: string, opId: string, fingerprint: string, target: (level: Level, elsewhere: number) => number): Promise<ChangeResult> {
    await this.load(variantId, 0);
    const known = () => this.sql.exec<{ result: string; fingerprint: string | null }>("SELECT result, fingerprint FROM ops WHERE op_id = ?", opId).toArray()[0];
    let done = known();
    if (!done && this.shardsEverUsed() > 1) {
      // The whole variant's free stock must be here to check a change against it.
      await this.pullShards(variantId);
      done = known();
    }
    if (done) {
      if (done.fingerprint != null && done.fingerprint !== fingerprint) return { ok: false, code: "IDEMPOTENCY_CONFLICT", level: view(variantId, this.level()) };
      return JSON.parse(done.result) as ChangeResult;
    }
    const whole = this.shardsEverUsed() > 1 ? await this.wholeLevel(variantId) : view(variantId, this.level());
    if (known()) return JSON.parse(known()!.result) as ChangeResult;
    const level = this.level();
    const elsewhere = whole.onHand - level.onHand;
    const onHand = target(level, elsewhere);
    const result: ChangeResult = allowedOnHand(level, onHand)
      ? { ok: true, level: { ...whole, onHand: onHand + elsewhere, available: Math.max(0, onHand + elsewhere - whole.reserved) }, previousOnHand: whole.onHand }
      : { ok: false, code: "BELOW_RESERVED", level: whole };
    if (result.ok) this.changed(variantId, this.write({ ...level, onHand }));
    this.sql.exec("INSERT INTO ops (op_id, result, fingerprint) VALUES (?, ?, ?)", opId, JSON.stringify(result), fingerprint);
    return result;
  }

  /** First use: a coordinator's stock comes from D1's read model (seeding D1 is enough); a shard starts empty. */
  private async load(variantId: string, shard: number): Promise<void> {
    if (this.loaded()) return;
    await this.ctx.blockConcurrencyWhile(async () => {
      if (this.loaded()) return;
      const row =
        shard === 0
          ? await this.env.DB.prepare("SELECT on_hand, version FROM inventory_levels WHERE variant_id = ?").bind(variantId).first<{ on_hand: number; version: number }>()
          : null;
      // Reservations never outlive the object, so the read model's `reserved` is not trusted here.
      this.sql.exec("INSERT OR IGNORE INTO level (id, variant_id, on_hand, reserved, version) VALUES (1, ?, ?, 0, ?)", stockKey(variantId, shard), row?.on_hand ?? 0, row?.version ?? 0);
    });
  }

  private loaded(): boolean {
    return this.sql.exec("SELECT 1 FROM level WHERE id = 1").toArray().length > 0;
  }

  private level(): Level {
    const row = this.sql.exec<{ on_hand: number; reserved: number; version: number }>("SELECT on_hand, reserved, version FROM level WHERE id = 1").one();
    return { onHand: row.on_hand, reserved: row.reserved, version: row.version };
  }

  private hold(checkoutId: string): Hold | null {
    const row = this.sql.exec<HoldRow>("SELECT qty, status, expires_at FROM holds WHERE checkout_id = ?", checkoutId).toArray()[0];
    return row ? { qty: row.qty, status: row.status } : null;
  }

  private meta(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  private shardCount(): number {
    return Number(this.meta("shards") ?? 1);
  }

  private shardsEverUsed(): number {
    return Number(this.meta("shards_ever") ?? 1);
  }

  private shardIndexes(count: number): number[] {
    return Array.from({ length: Math.max(0, count - 1) }, (_, i) => i + 1);
  }

  private shardStub(variantId: string, k: number): StockStub {
    return this.env.INVENTORY.get(this.env.INVENTORY.idFromName(stockKey(variantId, k))) as unknown as StockStub;
  }

  private write(level: Level): Level {
    const next = { ...level, version: level.version + 1 };
    this.sql.exec("UPDATE level SET on_hand = ?, reserved = ?, version = ? WHERE id = 1", next.onHand, next.reserved, next.version);
    return next;
  }

  /** A change reaches the read model through the next flush (at most one message per object per SYNC_FLUSH_MS). */
  private changed(variantId: string, level: Level): { ok: true; level: LevelView } {
    this.markDirty();
    return { ok: true, level: view(variantId, level) };
  }

  /** Marks the level for the next flush; `arm` schedules one (the alarm itself re-arms at its end). */
  private markDirty(arm = true) {
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('sync_dirty', '1') ON CONFLICT (key) DO UPDATE SET value = '1'");
    if (arm && !this.flushArmed) {
      this.flushArmed = true;
      this.ctx.waitUntil(this.armAlarm(Date.now() + SYNC_FLUSH_MS));
    }
  }

  /** Arms the alarm for `at` unless it fires sooner; one at a time, so two callers never undo each other. */
  private armAlarm(at: number): Promise<void> {
    this.arming = this.arming.then(async () => {
      const current = await this.ctx.storage.getAlarm();
      if (current == null || current > at) await this.ctx.storage.setAlarm(at);
    });
    return this.arming;
  }
}
