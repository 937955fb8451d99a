/**
 * InventoryDO: the authoritative stock of one variant (DESIGN.md "Inventory"), addressed by
 * `idFromName(variantId)`. Every check-and-write below is synchronous SQL with no `await` between
 * the read and the write, so it commits atomically; decisions live in src/modules/inventory/ledger.
 */
import { DurableObject } from "cloudflare:workers";
import { createLogger } from "../src/lib/log";
import {
  allowedOnHand,
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

type HoldRow = { qty: number; status: Hold["status"]; expires_at: number };

export class InventoryDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;

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
    });
  }

  /**
   * Holds `qty` units for a checkout until `expiresAt`. Keyed by what it holds: the same quantity
   * again only extends the hold; another quantity moves the hold to it, or fails when the extra
   * units are not free (the old hold stays for the caller to release).
   */
  async reserve(variantId: string, checkoutId: string, qty: number, expiresAt: number): Promise<ReserveResult> {
    if (!Number.isSafeInteger(qty) || qty < 1) throw new RangeError("qty must be a positive integer");
    await this.load(variantId);
    const level = this.level();
    const decision = decideReserve(level, this.hold(checkoutId), qty);
    if (decision.kind === "noop") return { ok: true, level: view(variantId, level) };
    if (decision.kind === "insufficient") {
      return { ok: false, code: "INSUFFICIENT_INVENTORY", available: view(variantId, level).available, level: view(variantId, level) };
    }
    if (decision.kind === "extend") {
      this.sql.exec("UPDATE holds SET expires_at = MAX(expires_at, ?) WHERE checkout_id = ?", expiresAt, checkoutId);
      await this.armAlarm(expiresAt);
      return { ok: true, level: view(variantId, level) };
    }
    this.sql.exec(
      `INSERT INTO holds (checkout_id, qty, status, expires_at) VALUES (?, ?, 'held', ?)
       ON CONFLICT (checkout_id) DO UPDATE SET qty = excluded.qty, status = 'held', expires_at = excluded.expires_at`,
      checkoutId, qty, expiresAt,
    );
    const next = this.write({ ...level, reserved: level.reserved + decision.delta });
    await this.armAlarm(expiresAt);
    return this.changed(variantId, next);
  }

  /** Sells exactly `qty` units to the checkout: its hold covers what it holds, free stock the rest. Idempotent. */
  async commit(variantId: string, checkoutId: string, qty: number): Promise<CommitResult> {
    if (!Number.isSafeInteger(qty) || qty < 1) throw new RangeError("qty must be a positive integer");
    await this.load(variantId);
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
   * is freed, sold units come back on hand, and a tombstone refuses any later reserve or commit.
   */
  async close(variantId: string, checkoutId: string): Promise<LevelView> {
    await this.load(variantId);
    const level = this.level();
    const hold = this.hold(checkoutId);
    const change = decideClose(hold);
    if (!change) return view(variantId, level);
    this.sql.exec(
      `INSERT INTO holds (checkout_id, qty, status, expires_at) VALUES (?, 0, 'closed', ?)
       ON CONFLICT (checkout_id) DO UPDATE SET status = 'closed', expires_at = excluded.expires_at`,
      checkoutId, Date.now(),
    );
    if (change.onHandDelta === 0 && change.reservedDelta === 0) return view(variantId, level);
    return this.changed(variantId, this.write({ ...level, onHand: level.onHand + change.onHandDelta, reserved: level.reserved + change.reservedDelta })).level;
  }

  /** Frees the checkout's hold (no-op when there is none or it was sold). */
  async release(variantId: string, checkoutId: string): Promise<LevelView> {
    await this.load(variantId);
    const level = this.level();
    const hold = this.hold(checkoutId);
    if (hold?.status !== "held") return view(variantId, level);
    this.sql.exec("UPDATE holds SET status = 'released' WHERE checkout_id = ?", checkoutId);
    return this.changed(variantId, this.write({ ...level, reserved: level.reserved - hold.qty })).level;
  }

  /** Puts the units a checkout bought back on hand (order cancelled or refunded); idempotent. */
  async restock(variantId: string, checkoutId: string): Promise<LevelView> {
    await this.load(variantId);
    const level = this.level();
    const hold = this.hold(checkoutId);
    if (hold?.status !== "committed") return view(variantId, level);
    this.sql.exec("UPDATE holds SET status = 'returned' WHERE checkout_id = ?", checkoutId);
    return this.changed(variantId, this.write({ ...level, onHand: level.onHand + hold.qty })).level;
  }

  /**
   * Puts back `qty` of the units a checkout bought (a return received), once per `opId`; the sale
   * shrinks by as many, so restocking or closing the checkout later gives back only the rest.
   * Answers the units put back (0 when the checkout has none left sold here).
   */
  async returnUnits(variantId: string, checkoutId: string, opId: string, qty: number): Promise<{ returned: number; level: LevelView }> {
    if (!Number.isSafeInteger(qty) || qty < 1) throw new RangeError("qty must be a positive integer");
    await this.load(variantId);
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

  /** Sets on-hand stock, never below what is reserved; idempotent per `opId` like `adjust`. */
  async set(variantId: string, opId: string, onHand: number, fingerprint = `set:${onHand}`): Promise<ChangeResult> {
    return this.applyOnce(variantId, opId, fingerprint, () => onHand);
  }

  /** The current level. */
  async snapshot(variantId: string): Promise<LevelView> {
    await this.load(variantId);
    return view(variantId, this.level());
  }

  /** Releases holds that are due; alarms may fire twice, so it only touches what is due now. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const due = this.sql
      .exec<{ checkout_id: string; qty: number }>("SELECT checkout_id, qty FROM holds WHERE status = 'held' AND expires_at <= ?", now)
      .toArray();
    const row = this.sql.exec<{ variant_id: string }>("SELECT variant_id FROM level WHERE id = 1").toArray()[0];
    if (due.length > 0 && row) {
      const freed = due.reduce((sum, h) => sum + h.qty, 0);
      this.sql.exec("UPDATE holds SET status = 'released' WHERE status = 'held' AND expires_at <= ?", now);
      const level = this.level();
      this.changed(row.variant_id, this.write({ ...level, reserved: Math.max(0, level.reserved - freed) }));
    }
    // Released holds are safe to forget (a late commit or reserve treats a missing hold like a released one),
    // and a closed checkout's tombstone is only needed while a late finalize could still run.
    this.sql.exec("DELETE FROM holds WHERE status IN ('released', 'closed') AND expires_at < ?", now - PRUNE_RELEASED_AFTER_MS);
    const next = this.sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM holds WHERE status = 'held'").one().at;
    if (next != null) await this.ctx.storage.setAlarm(next);
  }

  private async applyOnce(variantId: string, opId: string, fingerprint: string, target: (level: Level) => number): Promise<ChangeResult> {
    await this.load(variantId);
    const done = this.sql.exec<{ result: string; fingerprint: string | null }>("SELECT result, fingerprint FROM ops WHERE op_id = ?", opId).toArray()[0];
    if (done) {
      if (done.fingerprint != null && done.fingerprint !== fingerprint) return { ok: false, code: "IDEMPOTENCY_CONFLICT", level: view(variantId, this.level()) };
      return JSON.parse(done.result) as ChangeResult;
    }
    const level = this.level();
    const onHand = target(level);
    const result: ChangeResult = allowedOnHand(level, onHand)
      ? { ...this.changed(variantId, this.write({ ...level, onHand })), previousOnHand: level.onHand }
      : { ok: false, code: "BELOW_RESERVED", level: view(variantId, level) };
    this.sql.exec("INSERT INTO ops (op_id, result, fingerprint) VALUES (?, ?, ?)", opId, JSON.stringify(result), fingerprint);
    return result;
  }

  /** First use: stock comes from D1's read model, so seeding D1 is enough. */
  private async load(variantId: string): Promise<void> {
    if (this.loaded()) return;
    await this.ctx.blockConcurrencyWhile(async () => {
      if (this.loaded()) return;
      const row = await this.env.DB.prepare("SELECT on_hand, reserved, version FROM inventory_levels WHERE variant_id = ?")
        .bind(variantId)
        .first<{ on_hand: number; reserved: number; version: number }>();
      // Reservations never outlive the object, so the read model's `reserved` is not trusted here.
      this.sql.exec(
        "INSERT OR IGNORE INTO level (id, variant_id, on_hand, reserved, version) VALUES (1, ?, ?, 0, ?)",
        variantId, row?.on_hand ?? 0, row?.version ?? 0,
      );
    });
  }

  private loaded(): boolean {
    return this.sql.exec("SELECT 1 FROM level WHERE id = 1").toArray().length > 0;
  }

  private level(): Level {
    const row = this.sql.exec<{ on_hand: number; reserved: number; version: number }>(
      "SELECT on_hand, reserved, version FROM level WHERE id = 1",
    ).one();
    return { onHand: row.on_hand, reserved: row.reserved, version: row.version };
  }

  private hold(checkoutId: string): Hold | null {
    const row = this.sql.exec<HoldRow>("SELECT qty, status, expires_at FROM holds WHERE checkout_id = ?", checkoutId).toArray()[0];
    return row ? { qty: row.qty, status: row.status } : null;
  }

  private write(level: Level): Level {
    const next = { ...level, version: level.version + 1 };
    this.sql.exec("UPDATE level SET on_hand = ?, reserved = ?, version = ? WHERE id = 1", next.onHand, next.reserved, next.version);
    return next;
  }

  /** Every change goes to the inventory-sync queue; its consumer keeps only newer versions. */
  private changed(variantId: string, level: Level): { ok: true; level: LevelView } {
    const levelView = view(variantId, level);
    const body = { variantId, onHand: level.onHand, reserved: level.reserved, version: level.version };
    // A lost message only delays the read model; the next change (newer version) overwrites it.
    this.ctx.waitUntil(
      this.env.INVENTORY_SYNC.send(body).catch((err: unknown) =>
        createLogger({ variantId }).error("inventory_sync_send_failed", { name: err instanceof Error ? err.name : "unknown" }),
      ),
    );
    return { ok: true, level: levelView };
  }

  private async armAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current == null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
