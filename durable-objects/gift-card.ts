/**
 * GiftCardDO: the authoritative balance of one spendable account, addressed by
 * `idFromName(accountId)` — a gift card (`gft_…`) or one customer's store credit in one currency
 * (`credit:<customerId>:<CUR>`). Checkouts hold amounts on it like stock (held → captured, or
 * released when they fail or expire), and returns and cancels give captured money back. Every
 * check-and-write is synchronous SQL with no `await` between read and write, so concurrent
 * checkouts can never take the balance below zero; decisions live in src/modules/gift-cards/ledger.
 */
import { DurableObject } from "cloudflare:workers";
import {
  accountView,
  decideCapture,
  decideClose,
  decideGiveBack,
  decideHold,
  type Account,
  type AccountView,
  type CaptureResult,
  type CreditResult,
  type GiveBackResult,
  type Hold,
  type HoldResult,
} from "../src/modules/gift-cards/ledger";

const PRUNE_RELEASED_AFTER_MS = 24 * 3600_000;
export const STORE_CREDIT_PREFIX = "credit:";

type HoldRow = { amount: number; status: Hold["status"]; captured: number; returned: number };

export class GiftCardDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS account (
        id INTEGER PRIMARY KEY CHECK (id = 1), account_id TEXT NOT NULL, currency TEXT NOT NULL, expires_at INTEGER,
        issued INTEGER NOT NULL, balance INTEGER NOT NULL CHECK (balance >= 0), held INTEGER NOT NULL CHECK (held >= 0), version INTEGER NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS holds (
        checkout_id TEXT PRIMARY KEY, amount INTEGER NOT NULL, status TEXT NOT NULL, captured INTEGER NOT NULL DEFAULT 0,
        returned INTEGER NOT NULL DEFAULT 0, expires_at INTEGER NOT NULL)`);
      this.sql.exec("CREATE INDEX IF NOT EXISTS holds_due ON holds (status, expires_at)");
      // Keyed operations (give-backs, credits): a repeat answers what the first did.
      this.sql.exec("CREATE TABLE IF NOT EXISTS ops (op_id TEXT PRIMARY KEY, kind TEXT NOT NULL, amount INTEGER NOT NULL, result TEXT NOT NULL)");
    });
  }

  /** Holds as much as the account can give of `max` for the checkout until `expiresAt`; answers the amount held. */
  async hold(accountId: string, checkoutId: string, max: number, expiresAt: number): Promise<HoldResult> {
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError("max must be a non-negative integer");
    const account = await this.load(accountId);
    if (!account) return { ok: false, code: "UNKNOWN_ACCOUNT", amount: 0, account: null };
    const hold = this.findHold(checkoutId);
    const decision = decideHold(account, hold, max, Date.now());
    if (decision.kind === "closed") return { ok: false, code: "CHECKOUT_CLOSED", amount: 0, account: accountView(accountId, account) };
    if (decision.kind === "keep") {
      if (hold?.status === "held") this.sql.exec("UPDATE holds SET expires_at = MAX(expires_at, ?) WHERE checkout_id = ?", expiresAt, checkoutId);
      if (hold?.status === "held") await this.armAlarm(expiresAt);
      return { ok: true, amount: decision.amount, account: accountView(accountId, account) };
    }
    const status = decision.amount > 0 ? "held" : "released";
    this.sql.exec(
      `INSERT INTO holds (checkout_id, amount, status, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (checkout_id) DO UPDATE SET amount = excluded.amount, status = excluded.status, expires_at = excluded.expires_at`,
      checkoutId, decision.amount, status, expiresAt,
    );
    const next = this.write({ ...account, held: account.held + decision.heldDelta });
    if (decision.amount > 0) await this.armAlarm(expiresAt);
    return { ok: true, amount: decision.amount, account: accountView(accountId, next) };
  }

  /** Takes exactly `amount` for the checkout's order (its hold covers what it holds); idempotent. */
  async capture(accountId: string, checkoutId: string, amount: number): Promise<CaptureResult> {
    if (!Number.isSafeInteger(amount) || amount < 1) throw new RangeError("amount must be a positive integer");
    const account = await this.load(accountId);
    if (!account) return { ok: false, code: "UNKNOWN_ACCOUNT", account: null };
    const decision = decideCapture(account, this.findHold(checkoutId), amount);
    if (decision.kind === "noop") return { ok: true, account: accountView(accountId, account) };
    if (decision.kind === "closed") return { ok: false, code: "CHECKOUT_CLOSED", account: accountView(accountId, account) };
    if (decision.kind === "insufficient") return { ok: false, code: "INSUFFICIENT_BALANCE", account: accountView(accountId, account) };
    this.sql.exec(
      `INSERT INTO holds (checkout_id, amount, status, captured, expires_at) VALUES (?, ?, 'captured', ?, 0)
       ON CONFLICT (checkout_id) DO UPDATE SET amount = excluded.amount, status = 'captured', captured = excluded.captured, expires_at = 0`,
      checkoutId, amount, amount,
    );
    const next = this.write({ ...account, balance: account.balance + decision.balanceDelta, held: account.held + decision.heldDelta });
    return { ok: true, account: accountView(accountId, next) };
  }

  /** Frees the checkout's live hold (no-op when there is none, or it was captured). */
  async release(accountId: string, checkoutId: string): Promise<AccountView | null> {
    const account = await this.load(accountId);
    if (!account) return null;
    const hold = this.findHold(checkoutId);
    if (hold?.status !== "held") return accountView(accountId, account);
    this.sql.exec("UPDATE holds SET status = 'released' WHERE checkout_id = ?", checkoutId);
    return accountView(accountId, this.write({ ...account, held: account.held - hold.amount }));
  }

  /**
   * Ends the checkout's claim for good (it will never be an order): a live hold is freed, a
   * capture comes back, and a tombstone refuses any later hold or capture for it.
   */
  async close(accountId: string, checkoutId: string): Promise<AccountView | null> {
    const account = await this.load(accountId);
    if (!account) return null;
    const hold = this.findHold(checkoutId);
    const change = decideClose(hold);
    if (!change) return accountView(accountId, account);
    this.sql.exec(
      `INSERT INTO holds (checkout_id, amount, status, expires_at) VALUES (?, 0, 'closed', ?)
       ON CONFLICT (checkout_id) DO UPDATE SET status = 'closed', returned = returned + ?, expires_at = excluded.expires_at`,
      checkoutId, Date.now(), change.returned,
    );
    return accountView(accountId, this.write({ ...account, balance: account.balance + change.balanceDelta, held: account.held + change.heldDelta }));
  }

  /**
   * Gives back up to `amount` (all that is left when null) of what the checkout captured, once per
   * `opId`: a return's refund or an order's cancel. Never more than the checkout captured.
   */
  async giveBack(accountId: string, checkoutId: string, opId: string, amount: number | null): Promise<GiveBackResult> {
    if (amount !== null && (!Number.isSafeInteger(amount) || amount < 0)) throw new RangeError("amount must be a non-negative integer");
    const account = await this.load(accountId);
    if (!account) return { ok: false, code: "UNKNOWN_ACCOUNT", given: 0, account: null };
    const done = this.op(opId);
    if (done) return JSON.parse(done) as GiveBackResult;
    const given = decideGiveBack(this.findHold(checkoutId), amount);
    if (given === null) return { ok: false, code: "NOT_CAPTURED", given: 0, account: accountView(accountId, account) };
    this.sql.exec("UPDATE holds SET returned = returned + ? WHERE checkout_id = ?", given, checkoutId);
    const result: GiveBackResult = { ok: true, given, account: accountView(accountId, this.write({ ...account, balance: account.balance + given })) };
    this.sql.exec("INSERT INTO ops (op_id, kind, amount, result) VALUES (?, 'give_back', ?, ?)", opId, given, JSON.stringify(result));
    return result;
  }

  /** Adds `amount` to the account (store credit granted or refunded), once per `opId`. */
  async credit(accountId: string, opId: string, amount: number): Promise<CreditResult> {
    if (!Number.isSafeInteger(amount) || amount < 1) throw new RangeError("amount must be a positive integer");
    const account = await this.load(accountId);
    if (!account) return { ok: false, code: "UNKNOWN_ACCOUNT", account: null };
    const done = this.op(opId);
    if (done) return JSON.parse(done) as CreditResult;
    const result: CreditResult = { ok: true, account: accountView(accountId, this.write({ ...account, issued: account.issued + amount, balance: account.balance + amount })) };
    this.sql.exec("INSERT INTO ops (op_id, kind, amount, result) VALUES (?, 'credit', ?, ?)", opId, amount, JSON.stringify(result));
    return result;
  }

  /** The account now, or null for a gift card that does not exist. */
  async snapshot(accountId: string): Promise<AccountView | null> {
    const account = await this.load(accountId);
    return account ? accountView(accountId, account) : null;
  }

  /** Releases holds that are due; alarms may fire twice, so it only touches what is due now. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const row = this.sql.exec<{ account_id: string }>("SELECT account_id FROM account WHERE id = 1").toArray()[0];
    const due = this.sql.exec<{ amount: number }>("SELECT amount FROM holds WHERE status = 'held' AND expires_at <= ?", now).toArray();
    if (due.length > 0 && row) {
      const freed = due.reduce((sum, h) => sum + h.amount, 0);
      this.sql.exec("UPDATE holds SET status = 'released' WHERE status = 'held' AND expires_at <= ?", now);
      const account = this.account()!;
      this.write({ ...account, held: Math.max(0, account.held - freed) });
    }
    this.sql.exec("DELETE FROM holds WHERE status = 'released' AND expires_at < ?", now - PRUNE_RELEASED_AFTER_MS);
    const next = this.sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM holds WHERE status = 'held'").one().at;
    if (next != null) await this.ctx.storage.setAlarm(next);
  }

  /**
   * First use: a gift card's amount, currency and expiry come from D1 (so writing the card's row is
   * enough); store credit starts empty in the currency its account id names.
   */
  private async load(accountId: string): Promise<Account | null> {
    const loaded = this.account();
    if (loaded) return loaded;
    await this.ctx.blockConcurrencyWhile(async () => {
      if (this.account()) return;
      let opening: { currency: string; amount: number; expiresAt: number | null } | null = null;
      if (accountId.startsWith(STORE_CREDIT_PREFIX)) {
        const currency = accountId.split(":")[2];
        if (currency && /^[A-Z]{3}$/.test(currency)) opening = { currency, amount: 0, expiresAt: null };
      } else {
        const card = await this.env.DB.prepare("SELECT currency, initial_amount, expires_at FROM gift_cards WHERE id = ?")
          .bind(accountId)
          .first<{ currency: string; initial_amount: number; expires_at: number | null }>();
        if (card) opening = { currency: card.currency, amount: card.initial_amount, expiresAt: card.expires_at };
      }
      if (!opening) return;
      this.sql.exec(
        "INSERT OR IGNORE INTO account (id, account_id, currency, expires_at, issued, balance, held, version) VALUES (1, ?, ?, ?, ?, ?, 0, 0)",
        accountId, opening.currency, opening.expiresAt, opening.amount, opening.amount,
      );
    });
    return this.account();
  }

  private account(): Account | null {
    const row = this.sql
      .exec<{ currency: string; expires_at: number | null; issued: number; balance: number; held: number; version: number }>(
        "SELECT currency, expires_at, issued, balance, held, version FROM account WHERE id = 1",
      )
      .toArray()[0];
    return row ? { currency: row.currency, expiresAt: row.expires_at, issued: row.issued, balance: row.balance, held: row.held, version: row.version } : null;
  }

  private findHold(checkoutId: string): Hold | null {
    const row = this.sql.exec<HoldRow>("SELECT amount, status, captured, returned FROM holds WHERE checkout_id = ?", checkoutId).toArray()[0];
    return row ? { amount: row.amount, status: row.status, captured: row.captured, returned: row.returned } : null;
  }

  private op(opId: string): string | null {
    return this.sql.exec<{ result: string }>("SELECT result FROM ops WHERE op_id = ?", opId).toArray()[0]?.result ?? null;
  }

  private write(account: Account): Account {
    const next = { ...account, version: account.version + 1 };
    this.sql.exec("UPDATE account SET issued = ?, balance = ?, held = ?, version = ? WHERE id = 1", next.issued, next.balance, next.held, next.version);
    return next;
  }

  private async armAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current == null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
