/** D1 access for checkouts and idempotency keys. Every state change is a conditional UPDATE. */
import type { CheckoutState } from "../../db/schema";
import type { PricedCartLine, Totals } from "../cart/pricing";
import type { AppliedDiscount } from "../pricing/types";

export type CheckoutRow = {
  id: string;
  cart_id: string;
  customer_id: string;
  state: CheckoutState;
  currency: string;
  lines: string;
  totals: string;
  discounts: string;
  /** Region, locale, shipping address and method as locked (markets CheckoutMarket, JSON). */
  market?: string;
  /** Balances held for the checkout (gift-cards/tenders.ts). */
  tenders: string;
  expires_at: number;
  order_id: string | null;
  payment_id: string | null;
  updated_at: number;
  version: number;
};
/** The priced cart as the checkout locked it: what the payment charges and the order records. */
export type Snapshot = { lines: PricedCartLine[]; totals: Totals; discounts: AppliedDiscount[] };

export const snapshotOf = (row: Pick<CheckoutRow, "lines" | "totals" | "discounts">): Snapshot => ({
  lines: JSON.parse(row.lines) as PricedCartLine[],
  totals: JSON.parse(row.totals) as Totals,
  discounts: JSON.parse(row.discounts || "[]") as AppliedDiscount[],
});

const COLUMNS = "id, cart_id, customer_id, state, currency, lines, totals, discounts, market, tenders, expires_at, order_id, payment_id, updated_at, version";

export function findCheckout(d1: D1Database, id: string) {
  return d1.prepare(`SELECT ${COLUMNS} FROM checkouts WHERE id = ?`).bind(id).first<CheckoutRow>();
}

/** Whether a checkout ended in a way no payment can confirm any more (EXPIRED other than by time: superseded). */
export async function endedUnconfirmable(d1: D1Database, id: string): Promise<boolean> {
  const row = await d1.prepare("SELECT state, failure_reason FROM checkouts WHERE id = ?").bind(id).first<{ state: string; failure_reason: string | null }>();
  return row?.state === "EXPIRED" && row.failure_reason !== "expired";
}

export function findCustomerCheckout(d1: D1Database, id: string, customerId: string) {
  return d1.prepare(`SELECT ${COLUMNS} FROM checkouts WHERE id = ? AND customer_id = ?`).bind(id, customerId).first<CheckoutRow>();
}

/** A checkout about to be written: its id, key, price snapshot, market facts and planned balances. */
export type NewCheckout = { id: string; cartId: string; customerId: string; key: string; currency: string; snapshot: Snapshot; market: unknown; tenders: string; expiresAt: number; now: number };

/** An older open checkout of the cart that the new one superseded (EXPIRED in the same batch): its holds go back. */
export type Superseded = { id: string; lines: string; tenders: string };

/** The states of a checkout still open to pay: a cart has at most one checkout in them. */
const OPEN = "('CREATED', 'LOCKED')";

/**
 * Expires the customer's other open checkouts of the cart (`written`: SQL naming the checkout this
 * batch just wrote, NULL — expiring none — unless it was written) — the checkout written last
 * wins, whatever its id: two racing locks of one cart, an older request's committing after a newer
 * one's, must not both stay open and payable — answering their lines and tenders, whose holds the
 * caller lets go; then gives back the discount uses held by an EXPIRED checkout of the cart
 * (normally none: see discount-claims.ts).
 */
function supersedeStatements(d1: D1Database, row: { customerId: string; cartId: string; now: number }, written: { sql: string; args: unknown[] }) {
  const expiredOfCart = "SELECT id FROM checkouts WHERE customer_id = ? AND cart_id = ? AND state = 'EXPIRED'";
  return [
    d1
      .prepare(
        `UPDATE checkouts SET state = 'EXPIRED', updated_at = ?, version = version + 1, failure_reason = 'superseded'
         WHERE customer_id = ? AND cart_id = ? AND state IN ${OPEN} AND id != ${written.sql}
         RETURNING id, lines, tenders`,
      )
      .bind(row.now, row.customerId, row.cartId, ...written.args),
    d1
      .prepare(
        `UPDATE discounts SET updated_at = ?,
           usage_count = max(0, usage_count - (SELECT COUNT(*) FROM discount_claims dc WHERE dc.discount_id = discounts.id AND dc.checkout_id IN (${expiredOfCart})))
         WHERE id IN (SELECT dc.discount_id FROM discount_claims dc WHERE dc.checkout_id IN (${expiredOfCart}))`,
      )
      .bind(row.now, row.customerId, row.cartId, row.customerId, row.cartId),
    d1.prepare(`DELETE FROM discount_claims WHERE checkout_id IN (${expiredOfCart})`).bind(row.customerId, row.cartId),
  ];
}

/**
 * One batch: creates the checkout in CREATED (a retry under the same key after a crash takes over
 * the row it left in CREATED or FAILED), reads the key's row as it is now, and expires the
 * customer's other open checkouts of the same cart — the checkout written last wins — giving
 * back their discount uses in the same batch, guarded by EXPIRED. `upserted` is null when the key
 * already has a checkout that went further; on a takeover it has the lines and tenders the row held
 * before (their holds may need letting go).
 */
export async function upsertCheckout(
  d1: D1Database,
  row: NewCheckout,
): Promise<{ upserted: { id: string; version: number; previousLines: PricedCartLine[] | null; previousTenders: string | null } | null; current: CheckoutRow; superseded: Superseded[] }> {
  const [before, out, current, superseded] = await d1.batch<Record<string, unknown>>([
    d1.prepare("SELECT lines, tenders FROM checkouts WHERE customer_id = ? AND idempotency_key = ? AND state IN ('CREATED', 'FAILED')").bind(row.customerId, row.key),
    d1
      .prepare(
        `INSERT INTO checkouts (id, cart_id, customer_id, state, idempotency_key, currency, lines, totals, discounts, market, tenders, expires_at, version, created_at, updated_at)
         VALUES (?, ?, ?, 'CREATED', ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
         ON CONFLICT (customer_id, idempotency_key) DO UPDATE SET cart_id = excluded.cart_id, state = 'CREATED', currency = excluded.currency,
           lines = excluded.lines, totals = excluded.totals, discounts = excluded.discounts, market = excluded.market, tenders = excluded.tenders, expires_at = excluded.expires_at, updated_at = excluded.updated_at,
           failure_reason = NULL, version = checkouts.version + 1
         WHERE checkouts.state IN ('CREATED', 'FAILED')
         RETURNING id, version`,
      )
      .bind(row.id, row.cartId, row.customerId, row.key, row.currency, JSON.stringify(row.snapshot.lines), JSON.stringify(row.snapshot.totals), JSON.stringify(row.snapshot.discounts), JSON.stringify(row.market), row.tenders, row.expiresAt, row.now, row.now),
    d1.prepare(`SELECT ${COLUMNS} FROM checkouts WHERE customer_id = ? AND idempotency_key = ?`).bind(row.customerId, row.key),
    // Only while this key's checkout is the CREATED one just written.
    ...supersedeStatements(d1, row, { sql: "(SELECT id FROM checkouts WHERE customer_id = ? AND idempotency_key = ? AND state = 'CREATED')", args: [row.customerId, row.key] }),
  ]);
  const written = out!.results[0] as { id: string; version: number } | undefined;
  const previous = before!.results[0] as { lines?: string; tenders?: string } | undefined;
  return {
    upserted: written
      ? { id: written.id, version: written.version, previousLines: previous?.lines ? (JSON.parse(previous.lines) as PricedCartLine[]) : null, previousTenders: previous?.tenders ?? null }
      : null,
    current: current!.results[0] as CheckoutRow,
    superseded: superseded!.results as Superseded[],
  };
}

/**
 * Read with the key's claim: the customer's open checkouts (CREATED or LOCKED) by cart, and any
 * checkout already made under this key (`this_key`: keys outlive their stored answers).
 */
export const checkoutsInTheWayStatement = (d1: D1Database, customerId: string, key: string) =>
  d1
    .prepare(`SELECT cart_id, idempotency_key = ? AS this_key FROM checkouts WHERE customer_id = ? AND (state IN ${OPEN} OR idempotency_key = ?)`)
    .bind(key, customerId, key);

/**
 * One batch for a checkout whose stock is already held under its id (the direct lock): writes the
 * row straight in LOCKED — or FAILED with its reason — and, only if this row was written, expires
 * the customer's older open checkouts of the cart (handing back their discount uses, as
 * upsertCheckout does) and stores the answer under the key. The first result's rows are the
 * written row's id (none: the key already had a checkout); the second's, the superseded ones.
 */
export function insertSettledStatements(
  d1: D1Database,
  row: NewCheckout,
  outcome: { state: "LOCKED" } | { state: "FAILED"; failureReason: string },
  answer: { scope: string; status: number; body: unknown },
) {
  const ours = { sql: "EXISTS (SELECT 1 FROM checkouts WHERE id = ? AND state = ? AND version = 1)", args: [row.id, outcome.state] };
  const statements = [
    d1
      .prepare(
        `INSERT INTO checkouts (id, cart_id, customer_id, state, idempotency_key, currency, lines, totals, discounts, market, tenders, expires_at, failure_reason, version, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
         ON CONFLICT DO NOTHING
         RETURNING id`,
      )
      .bind(
        row.id, row.cartId, row.customerId, outcome.state, row.key, row.currency, JSON.stringify(row.snapshot.lines), JSON.stringify(row.snapshot.totals),
        JSON.stringify(row.snapshot.discounts), JSON.stringify(row.market), row.tenders, row.expiresAt, outcome.state === "FAILED" ? outcome.failureReason : null, row.now, row.now,
      ),
  ];
  // Only if this very row was just written LOCKED.
  if (outcome.state === "LOCKED") statements.push(...supersedeStatements(d1, row, { sql: `(SELECT ? WHERE ${ours.sql})`, args: [row.id, ...ours.args] }));
  statements.push(storeKeyResponseStatement(d1, answer.scope, row.key, answer.status, answer.body, ours));
  return statements;
}

/** Moves a checkout from one of `from` to `to`; false when it was not in one of them. */
export function transitionStatement(
  d1: D1Database,
  id: string,
  from: CheckoutState[],
  to: CheckoutState,
  now: number,
  extra: { failureReason?: string; paymentId?: string; orderId?: string; tenders?: string } = {},
) {
  return d1
    .prepare(
      `UPDATE checkouts SET state = ?, updated_at = ?, version = version + 1,
         failure_reason = COALESCE(?, failure_reason), payment_id = COALESCE(?, payment_id), order_id = COALESCE(?, order_id), tenders = COALESCE(?, tenders)
       WHERE id = ? AND state IN (${from.map(() => "?").join(", ")})`,
    )
    .bind(to, now, extra.failureReason ?? null, extra.paymentId ?? null, extra.orderId ?? null, extra.tenders ?? null, id, ...from);
}

export async function transition(d1: D1Database, id: string, from: CheckoutState[], to: CheckoutState, now: number, extra = {}): Promise<boolean> {
  return (await transitionStatement(d1, id, from, to, now, extra).run()).meta.changes === 1;
}

/**
 * Payments still waiting for the customer's confirmation whose checkout can never count them:
 * superseded by a later checkout of its cart (a superseded row is never reused, unlike a FAILED one,
 * whose id a retried lock may take again with its intent), or paid by another payment. Only rows
 * touched since `since`: a checkout is superseded or paid while it is open, within its TTL of its
 * intent, and checkouts expired by time keep their pending rows for good (a late payment may still
 * make the order), so the scan must not grow with them. Least recently looked at first.
 */
export async function listOpenPaymentsOfEndedCheckouts(d1: D1Database, since: number, limit: number) {
  const { results } = await d1
    .prepare(
      `SELECT p.id, p.checkout_id, p.provider, p.provider_ref, p.amount, p.currency, p.status
       FROM payments p INDEXED BY payments_pending_idx JOIN checkouts c ON c.id = p.checkout_id
       WHERE p.status = 'pending' AND p.updated_at >= ?
         AND ((c.state = 'EXPIRED' AND c.failure_reason = 'superseded') OR c.state IN ('PAYMENT_CONFIRMED', 'ORDER_CREATED', 'COMPLETED', 'REFUND_PENDING', 'REFUNDED'))
       ORDER BY p.updated_at LIMIT ?`,
    )
    .bind(since, limit)
    .all<{ id: string; checkout_id: string; provider: string; provider_ref: string; amount: number; currency: string; status: string }>();
  return results;
}

/**
 * Records a captured payment as the checkout's own and moves it to PAYMENT_CONFIRMED — from
 * LOCKED, PAYMENT_PENDING or EXPIRED by time (a late payment can still become an order if its
 * stock and discounts are still there; a checkout superseded by a newer one of the same cart
 * cannot) — unless the checkout already counts another payment.
 */
export function confirmStatement(d1: D1Database, checkoutId: string, provider: string, ref: string, now: number) {
  return d1
    .prepare(
      `UPDATE checkouts SET state = 'PAYMENT_CONFIRMED', updated_at = ?, version = version + 1,
         payment_id = (SELECT id FROM payments WHERE provider = ? AND provider_ref = ? AND status = 'succeeded')
       WHERE id = ? AND (state IN ('LOCKED', 'PAYMENT_PENDING') OR (state = 'EXPIRED' AND failure_reason = 'expired'))
         AND (payment_id IS NULL OR payment_id = (SELECT id FROM payments WHERE provider = ? AND provider_ref = ?))
         AND EXISTS (SELECT 1 FROM payments WHERE provider = ? AND provider_ref = ? AND status = 'succeeded' AND checkout_id = ?)`,
    )
    .bind(now, provider, ref, checkoutId, provider, ref, provider, ref, checkoutId);
}

/**
 * A statement that aborts the batch it is in unless `condition` (SQL with its arguments) holds: D1
 * rolls back every statement of a batch when one fails, and since SQLite's RAISE works only inside
 * triggers, the failure is json() of text that is not JSON (the text says which guard failed).
 */
function abortUnless(d1: D1Database, condition: string, args: unknown[], failure: string) {
  return d1.prepare(`SELECT json(CASE WHEN ${condition} THEN 'true' ELSE ? END) AS holds`).bind(...args, failure);
}

/** Aborts the batch unless the checkout is still in this payment attempt (PAYMENT_PENDING at this version), so the discount uses it claimed are still held. */
export function abortUnlessAttemptStatement(d1: D1Database, checkoutId: string, version: number) {
  return abortUnless(d1, "EXISTS (SELECT 1 FROM checkouts WHERE id = ? AND state = 'PAYMENT_PENDING' AND version = ?)", [checkoutId, version], "not in this payment attempt");
}

/** Aborts the batch unless the checkout is PAYMENT_CONFIRMED with this payment. */
export function abortUnlessConfirmedByStatement(d1: D1Database, checkoutId: string, paymentId: string) {
  return abortUnless(d1, "EXISTS (SELECT 1 FROM checkouts WHERE id = ? AND state = 'PAYMENT_CONFIRMED' AND payment_id = ?)", [checkoutId, paymentId], "not confirmed by this payment");
}

/** Marks a checkout as looked at (the sweeps take the least recently touched first). */
export async function touch(d1: D1Database, id: string, state: CheckoutState, now: number) {
  await d1.prepare("UPDATE checkouts SET updated_at = ? WHERE id = ? AND state = ?").bind(now, id, state).run();
}

/** REFUND_PENDING → REFUNDED, only once the provider confirmed the refund of the checkout's payment (nothing to refund for a zero charge). */
export async function closeRefundedCheckout(d1: D1Database, id: string, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      `UPDATE checkouts SET state = 'REFUNDED', updated_at = ?, version = version + 1
       WHERE id = ? AND state = 'REFUND_PENDING'
         AND (EXISTS (SELECT 1 FROM refunds WHERE dedupe_key = 'payment:' || checkouts.payment_id AND status = 'succeeded')
              OR (SELECT amount FROM payments WHERE id = checkouts.payment_id) = 0)`,
    )
    .bind(now, id)
    .run();
  return result.meta.changes === 1;
}

/**
 * LOCKED → PAYMENT_PENDING for the customer's own checkout while it has not expired, and only if
 * the payment can go ahead: `tokenOk`, or nothing is left to charge once its balances pay (the
 * same rule as amountDue). Put claimSnapshotStatements right after it; read the row after them.
 */
export function claimForPaymentStatement(d1: D1Database, id: string, customerId: string, tokenOk: boolean, now: number) {
  return d1
    .prepare(
      `UPDATE checkouts SET state = 'PAYMENT_PENDING', updated_at = ?, version = version + 1
       WHERE id = ? AND customer_id = ? AND state = 'LOCKED' AND expires_at > ?
         AND (? = 1 OR json_extract(totals, '$.total') - coalesce((SELECT sum(json_extract(value, '$.amount')) FROM json_each(coalesce(nullif(tenders, ''), '[]'))), 0) <= 0)`,
    )
    .bind(now, id, customerId, now, tokenOk ? 1 : 0);
}

export const findCustomerCheckoutStatement = (d1: D1Database, id: string, customerId: string) =>
  d1.prepare(`SELECT ${COLUMNS} FROM checkouts WHERE id = ? AND customer_id = ?`).bind(id, customerId);

export const findCheckoutStatement = (d1: D1Database, id: string) => d1.prepare(`SELECT ${COLUMNS} FROM checkouts WHERE id = ?`).bind(id);

export const customerEmailStatement = (d1: D1Database, customerId: string) => d1.prepare("SELECT email FROM users WHERE id = ?").bind(customerId);

/** Whether the customer has another open checkout of the row's cart (SQL over the outer `checkouts` row being updated). */
const ANOTHER_OPEN_OF_CART =
  `EXISTS (SELECT 1 FROM checkouts o WHERE o.customer_id = checkouts.customer_id AND o.cart_id = checkouts.cart_id AND o.id != checkouts.id AND o.state IN ${OPEN})`;

/**
 * PAYMENT_PENDING → LOCKED for an attempt that was not paid, so the shopper can pay again — for
 * attempt `version` only (a newer attempt of the same checkout is left alone), or whichever is
 * pending when `version` is null. If the shopper opened another checkout of the cart meanwhile
 * (a pending checkout is not superseded), it goes to EXPIRED (`superseded`) instead: a cart never
 * has two checkouts open to pay. `RETURNING state` says which; the caller closes an EXPIRED one's holds.
 */
export function unlockAttemptStatement(d1: D1Database, id: string, version: number | null, now: number) {
  return d1
    .prepare(
      `UPDATE checkouts SET state = CASE WHEN ${ANOTHER_OPEN_OF_CART} THEN 'EXPIRED' ELSE 'LOCKED' END,
         failure_reason = CASE WHEN ${ANOTHER_OPEN_OF_CART} THEN 'superseded' ELSE failure_reason END,
         updated_at = ?, version = version + 1
       WHERE id = ? AND state = 'PAYMENT_PENDING' AND (? IS NULL OR version = ?)
       RETURNING state`,
    )
    .bind(now, id, version, version);
}

/** The name of a payment attempt: the checkout and its version while PAYMENT_PENDING. */
export const attemptKeyOf = (checkoutId: string, version: number) => `${checkoutId}.v${version}`;

/** Checkouts in `states` last touched before `before`, oldest first. */
export async function listStale(d1: D1Database, states: CheckoutState[], before: number, limit: number): Promise<CheckoutRow[]> {
  const { results } = await d1
    .prepare(`SELECT ${COLUMNS} FROM checkouts WHERE state IN (${states.map(() => "?").join(", ")}) AND updated_at < ? ORDER BY updated_at LIMIT ?`)
    .bind(...states, before, limit)
    .all<CheckoutRow>();
  return results;
}

export async function listExpired(d1: D1Database, now: number, limit: number): Promise<CheckoutRow[]> {
  const { results } = await d1
    .prepare(`SELECT ${COLUMNS} FROM checkouts WHERE state IN ${OPEN} AND expires_at <= ? ORDER BY expires_at LIMIT ?`)
    .bind(now, limit)
    .all<CheckoutRow>();
  return results;
}

export async function customerEmail(d1: D1Database, customerId: string): Promise<string> {
  const row = await d1.prepare("SELECT email FROM users WHERE id = ?").bind(customerId).first<{ email: string }>();
  return row?.email ?? "";
}

// ── Idempotency keys ─────────────────────────────────────────────────────────

export type KeyRow = { request_hash: string; status_code: number | null; response_body: string | null; resource_id: string | null; created_at: number };

/**
 * Claims the key for this request, naming what it will make (`resourceId`); when the key exists
 * already, the second statement reads the stored row instead.
 */
export function claimKeyStatements(d1: D1Database, scope: string, key: string, hash: string, now: number, expiresAt: number, resourceId: string | null = null) {
  return [
    d1
      .prepare("INSERT INTO idempotency_keys (scope, key, request_hash, resource_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
      .bind(scope, key, hash, resourceId, now, expiresAt),
    d1.prepare("SELECT request_hash, status_code, response_body, resource_id, created_at FROM idempotency_keys WHERE scope = ? AND key = ?").bind(scope, key),
  ];
}

/** What claimKeyStatements answered. */
export const claimOf = (insert: D1Result<unknown>, read: D1Result<unknown>) => ({ claimed: insert.meta.changes === 1, row: read.results[0] as KeyRow });

/** Takes over a claim whose request died without an answer (still unanswered, unchanged since read). */
export async function takeOverKey(d1: D1Database, scope: string, key: string, claimedAt: number, now: number): Promise<boolean> {
  const result = await d1
    .prepare("UPDATE idempotency_keys SET created_at = ? WHERE scope = ? AND key = ? AND status_code IS NULL AND created_at = ?")
    .bind(now, scope, key, claimedAt)
    .run();
  return result.meta.changes === 1;
}

export async function storeKeyResponse(d1: D1Database, scope: string, key: string, status: number, body: unknown) {
  await storeKeyResponseStatement(d1, scope, key, status, body).run();
}

/** Stores the answer, optionally only while `guard` (SQL with its arguments) holds: put it in the batch that writes what it answers. */
export function storeKeyResponseStatement(d1: D1Database, scope: string, key: string, status: number, body: unknown, guard?: { sql: string; args: unknown[] }) {
  return d1
    .prepare(`UPDATE idempotency_keys SET status_code = ?, response_body = ? WHERE scope = ? AND key = ?${guard ? ` AND ${guard.sql}` : ""}`)
    .bind(status, JSON.stringify(body), scope, key, ...(guard?.args ?? []));
}

/** Leaves an unanswered claim to the next request under the key at once (as if its request had died long ago). */
export async function abandonKey(d1: D1Database, scope: string, key: string) {
  await d1.prepare("UPDATE idempotency_keys SET created_at = 0 WHERE scope = ? AND key = ? AND status_code IS NULL").bind(scope, key).run();
}

export async function dropKey(d1: D1Database, scope: string, key: string) {
  await d1.prepare("DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status_code IS NULL").bind(scope, key).run();
}
