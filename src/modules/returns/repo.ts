/**
 * D1 access for returns. A request writes its lines and its return in one batch, each line only
 * if the units are still there to return (checked against what was read, so two requests racing
 * for the last unit cannot both win); receiving writes every refund part and the state together.
 */
import type { DifferenceStatus, ReturnStatus } from "../../db/schema";
import { priceInCurrencySql } from "../cart/repo";
import { refundDifferencePaymentStatement } from "../payments/repo";
import { webhookEventStatements, type WebhookEventInput } from "../webhooks";

export type ReturnRow = {
  id: string;
  order_id: string;
  customer_id: string;
  status: ReturnStatus;
  currency: string;
  returned_amount: number;
  shipping_amount: number;
  exchange_items: string;
  exchange_amount: number;
  refund_amount: number;
  refund_to: "original" | "store_credit";
  restock: number | null;
  refund_id: string | null;
  amount_due: number;
  difference_status: DifferenceStatus;
  payment_attempts: number;
  payment_id: string | null;
  exchange_order_id: string | null;
  note: string | null;
  approved_at: number | null;
  received_at: number | null;
  refunded_at: number | null;
  rejected_at: number | null;
  version: number;
  created_at: number;
  updated_at: number;
};
const COLUMNS =
  "id, order_id, customer_id, status, currency, returned_amount, shipping_amount, exchange_items, exchange_amount, refund_amount, refund_to, restock, refund_id, amount_due, difference_status, payment_attempts, payment_id, exchange_order_id, note, approved_at, received_at, refunded_at, rejected_at, version, created_at, updated_at";

export type ExchangeItemRow = { variantId: string; productId: string; sku: string; title: string; quantity: number; amount: number };
export const exchangeItemsOf = (row: Pick<ReturnRow, "exchange_items">) => JSON.parse(row.exchange_items || "[]") as ExchangeItemRow[];

export function findReturn(d1: D1Database, id: string) {
  return d1.prepare(`SELECT ${COLUMNS} FROM returns WHERE id = ?`).bind(id).first<ReturnRow>();
}

export type Cursor = { createdAt: number; id: string } | null;

/** Newest first; by customer or by status (each has its index). */
export async function listReturns(d1: D1Database, filter: { customerId?: string; status?: ReturnStatus }, cursor: Cursor, limit: number) {
  const clauses: [string, unknown[]][] = [];
  if (filter.customerId) clauses.push(["customer_id = ?", [filter.customerId]]);
  if (filter.status) clauses.push(["status = ?", [filter.status]]);
  if (cursor) clauses.push(["(created_at, id) < (?, ?)", [cursor.createdAt, cursor.id]]);
  const where = clauses.length ? `WHERE ${clauses.map(([c]) => c).join(" AND ")}` : "";
  const { results } = await d1
    .prepare(`SELECT ${COLUMNS} FROM returns ${where} ORDER BY created_at DESC, id DESC LIMIT ?`)
    .bind(...clauses.flatMap(([, a]) => a), limit)
    .all<ReturnRow>();
  return results;
}

export type LineRow = { return_id: string; variant_id: string; sku: string; title: string; quantity: number; amount: number; tax: number; reason: string | null };
export type PaymentRefundRow = { id: string; checkout_id: string; amount: number; currency: string; status: "pending" | "succeeded" | "needs_attention" };
export type BalanceRefundRow = { id: string; return_id: string; account_id: string; kind: "give_back" | "credit"; checkout_id: string; amount: number; currency: string; status: "pending" | "succeeded" };

/** The lines (with what was bought) and refund parts of up to 100 returns, in one round trip. */
export async function detailsOf(d1: D1Database, rows: ReturnRow[]) {
  if (rows.length === 0) return { lines: [] as LineRow[], refunds: [] as PaymentRefundRow[], balances: [] as BalanceRefundRow[] };
  const ids = rows.map((r) => r.id);
  const marks = (n: number) => Array.from({ length: n }, () => "?").join(", ");
  const [lines, refunds, balances] = await d1.batch([
    d1
      .prepare(
        `SELECT l.return_id, l.variant_id, COALESCE(i.sku, '') AS sku, COALESCE(i.title, '') AS title, l.quantity, l.amount, l.tax, l.reason
         FROM return_lines l LEFT JOIN order_items i ON i.order_id = l.order_id AND i.variant_id = l.variant_id
         WHERE l.return_id IN (${marks(ids.length)}) ORDER BY l.id`,
      )
      .bind(...ids),
    // Each return's own refund, and the refunds of its price-difference payments (paid and given
    // back, or landed too late), which are under its exchange key. The ids are bound once (≤ 100).
    d1
      .prepare(
        `WITH r AS (SELECT id, refund_id, difference_status FROM returns WHERE id IN (${marks(ids.length)}))
         SELECT id, checkout_id, amount, currency, status FROM refunds
         WHERE id IN (SELECT refund_id FROM r) OR checkout_id IN (SELECT 'exc_' || substr(id, 5) FROM r WHERE difference_status <> 'none')
         ORDER BY created_at, id`,
      )
      .bind(...ids),
    d1.prepare(`SELECT id, return_id, account_id, kind, checkout_id, amount, currency, status FROM balance_refunds WHERE return_id IN (${marks(ids.length)}) ORDER BY id`).bind(...ids),
  ]);
  return { lines: lines!.results as LineRow[], refunds: refunds!.results as PaymentRefundRow[], balances: balances!.results as BalanceRefundRow[] };
}

// ── What an order has to return ──────────────────────────────────────────────

export type OrderItemFacts = { variant_id: string; product_id: string; sku: string; title: string; quantity: number; total: number; tax: number };
export type TakenRow = { variant_id: string; quantity: number; amount: number; tax: number };
/** The order row as stored (`SELECT *`), so columns other areas add (e.g. shipping_total) are seen when present. */
export type OrderFacts = {
  order: { id: string; customer_id: string; checkout_id: string; status: string; currency: string; order_number: string; email: string; total: number; version: number } & Record<string, unknown>;
  items: OrderItemFacts[];
  deliveredAt: number | null;
  taken: Map<string, TakenRow>;
  shippingRefunded: boolean;
};

const TAKEN_SQL = `SELECT COALESCE(SUM(l.quantity), 0) || ':' || COALESCE(SUM(l.amount), 0) || ':' || COALESCE(SUM(l.tax), 0)
  FROM return_lines l JOIN returns r ON r.id = l.return_id WHERE l.order_id = ? AND l.variant_id = ? AND r.status <> 'rejected'`;
export const takenKey = (t: { quantity: number; amount: number; tax: number } | undefined) => `${t?.quantity ?? 0}:${t?.amount ?? 0}:${t?.tax ?? 0}`;

/** An order with its items, when it was delivered, and what of each item is already being returned (returns not rejected). */
export async function orderFacts(d1: D1Database, orderId: string): Promise<OrderFacts | null> {
  const [order, items, delivered, taken, shipping] = await d1.batch([
    d1.prepare("SELECT * FROM orders WHERE id = ?").bind(orderId),
    d1.prepare("SELECT variant_id, product_id, sku, title, quantity, total, tax FROM order_items WHERE order_id = ? ORDER BY id").bind(orderId),
    d1.prepare("SELECT MAX(created_at) AS at FROM order_events WHERE order_id = ? AND status = 'delivered'").bind(orderId),
    d1
      .prepare(
        `SELECT l.variant_id, SUM(l.quantity) AS quantity, SUM(l.amount) AS amount, SUM(l.tax) AS tax
         FROM return_lines l JOIN returns r ON r.id = l.return_id WHERE l.order_id = ? AND r.status <> 'rejected' GROUP BY l.variant_id`,
      )
      .bind(orderId),
    d1.prepare("SELECT COUNT(*) AS n FROM returns WHERE order_id = ? AND status <> 'rejected' AND shipping_amount > 0").bind(orderId),
  ]);
  const row = order!.results[0] as OrderFacts["order"] | undefined;
  if (!row) return null;
  return {
    order: row,
    items: items!.results as OrderItemFacts[],
    deliveredAt: (delivered!.results[0] as { at: number | null } | undefined)?.at ?? null,
    taken: new Map((taken!.results as TakenRow[]).map((t) => [t.variant_id, t])),
    shippingRefunded: ((shipping!.results[0] as { n: number } | undefined)?.n ?? 0) > 0,
  };
}

export type ReturnPlan = {
  id: string;
  orderId: string;
  customerId: string;
  currency: string;
  lines: { id: string; variantId: string; quantity: number; amount: number; tax: number; reason: string | null; takenKey: string }[];
  shippingAmount: number;
  exchangeItems: ExchangeItemRow[];
  exchangeAmount: number;
  /** What the customer pays on top (replacements worth more than what comes back); 0 otherwise. */
  amountDue: number;
  refundTo: "original" | "store_credit";
  note: string | null;
  now: number;
  event: WebhookEventInput;
};

/**
 * The request as one batch: each line only if what is being returned of its item is still what
 * the plan read, then the return only if every line was written (and, when it refunds shipping,
 * only if the whole order is now coming back); lines of a return that was not written are removed.
 * The last statement reads the return back (none: the request lost a race and may be retried).
 */
export async function insertReturn(d1: D1Database, plan: ReturnPlan): Promise<boolean> {
  const returned = plan.lines.reduce((sum, l) => sum + l.amount, 0) + plan.shippingAmount;
  const refund = Math.max(0, returned - plan.exchangeAmount);
  const created = { sql: "EXISTS (SELECT 1 FROM returns WHERE id = ?)", args: [plan.id] };
  const results = await d1.batch([
    ...plan.lines.map((l) =>
      d1
        .prepare(
          `INSERT INTO return_lines (id, return_id, order_id, variant_id, quantity, amount, tax, reason, created_at)
           SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE (${TAKEN_SQL}) = ?`,
        )
        .bind(l.id, plan.id, plan.orderId, l.variantId, l.quantity, l.amount, l.tax, l.reason, plan.now, plan.orderId, l.variantId, l.takenKey),
    ),
    d1
      .prepare(
        `INSERT INTO returns (id, order_id, customer_id, status, currency, returned_amount, shipping_amount, exchange_items, exchange_amount, refund_amount, amount_due, difference_status, refund_to, note, version, created_at, updated_at)
         SELECT ?, ?, ?, 'requested', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?
         WHERE (SELECT COUNT(*) FROM return_lines WHERE return_id = ?) = ?
           AND EXISTS (SELECT 1 FROM orders WHERE id = ? AND status = 'delivered')
           AND (? = 0 OR (
             NOT EXISTS (SELECT 1 FROM returns WHERE order_id = ? AND status <> 'rejected' AND shipping_amount > 0)
             AND NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = ? AND i.quantity > (
               SELECT COALESCE(SUM(l.quantity), 0) FROM return_lines l LEFT JOIN returns r ON r.id = l.return_id
               WHERE l.order_id = i.order_id AND l.variant_id = i.variant_id AND (l.return_id = ? OR r.status <> 'rejected')))))`,
      )
      .bind(
        plan.id, plan.orderId, plan.customerId, plan.currency, returned, plan.shippingAmount, JSON.stringify(plan.exchangeItems), plan.exchangeAmount, refund,
        plan.amountDue, plan.amountDue > 0 ? "due" : "none", plan.refundTo, plan.note, plan.now, plan.now,
        plan.id, plan.lines.length, plan.orderId, plan.shippingAmount, plan.orderId, plan.orderId, plan.id,
      ),
    d1.prepare("DELETE FROM return_lines WHERE return_id = ? AND NOT EXISTS (SELECT 1 FROM returns WHERE id = ?)").bind(plan.id, plan.id),
    ...webhookEventStatements(d1, { ...plan.event, onlyIf: { sql: created.sql, params: created.args } }),
    d1.prepare("SELECT id FROM returns WHERE id = ?").bind(plan.id),
  ]);
  return results.at(-1)!.results.length === 1;
}

/** requested → approved, from the version read, once a price difference (if any) is paid. */
export async function approve(d1: D1Database, id: string, version: number, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      "UPDATE returns SET status = 'approved', approved_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND status = 'requested' AND version = ? AND difference_status IN ('none', 'paid')",
    )
    .bind(now, now, id, version)
    .run();
  return result.meta.changes === 1;
}

/**
 * requested or approved → rejected (its units may be asked for again), with the full refund of a
 * paid price difference in the same batch. A difference payment still in flight finds the return
 * rejected when it is recorded, and is refunded then (differencePaidStatements).
 */
export async function reject(d1: D1Database, id: string, note: string | null, refundId: string, now: number): Promise<{ rejected: boolean; refundWritten: boolean }> {
  const [result, refund] = await d1.batch([
    d1
      .prepare("UPDATE returns SET status = 'rejected', rejected_at = ?, note = COALESCE(?, note), updated_at = ?, version = version + 1 WHERE id = ? AND status IN ('requested', 'approved')")
      .bind(now, note, now, id),
    refundDifferencePaymentStatement(d1, { refundId, returnId: id, reason: "exchange_rejected", now, onlyIf: { sql: "ret.status = 'rejected' AND ret.rejected_at = ?", args: [now] } }),
  ]);
  return { rejected: result!.meta.changes === 1, refundWritten: refund!.meta.changes === 1 };
}

// ── The price difference of an exchange ─────────────────────────────────────

/**
 * Claims the difference for one payment attempt (due → paying, counting the attempt), for the
 * customer's own requested return. The row as claimed, or null when it was not due.
 */
export function claimDifference(d1: D1Database, id: string, customerId: string, now: number) {
  return d1
    .prepare(
      `UPDATE returns SET difference_status = 'paying', payment_attempts = payment_attempts + 1, updated_at = ?, version = version + 1
       WHERE id = ? AND customer_id = ? AND status = 'requested' AND difference_status = 'due' RETURNING ${COLUMNS}`,
    )
    .bind(now, id, customerId)
    .first<ReturnRow>();
}

/** paying → due for this attempt (any attempt when null: declined, or the provider never saw it); the customer may pay again. */
export function differenceDueAgainStatement(d1: D1Database, id: string, attempt: number | null, now: number) {
  return d1
    .prepare("UPDATE returns SET difference_status = 'due', updated_at = ? WHERE id = ? AND difference_status = 'paying' AND (? IS NULL OR payment_attempts = ?)")
    .bind(now, id, attempt, attempt);
}

/**
 * The difference is paid by the captured payment (provider, ref), if the return still counts it:
 * requested, not paid yet, and the payment of exactly what is due in its currency. Put after the
 * payment row in the batch; an unowned-payment refund after it gives back what this did not take.
 */
export function differencePaidStatement(d1: D1Database, id: string, payment: { provider: string; ref: string; amount: number; currency: string }, now: number) {
  return d1
    .prepare(
      `UPDATE returns SET difference_status = 'paid', payment_id = (SELECT id FROM payments WHERE provider = ? AND provider_ref = ? AND status = 'succeeded'),
         updated_at = ?, version = version + 1
       WHERE id = ? AND status = 'requested' AND difference_status IN ('due', 'paying') AND amount_due = ? AND currency = ?
         AND EXISTS (SELECT 1 FROM payments WHERE provider = ? AND provider_ref = ? AND status = 'succeeded' AND amount = returns.amount_due)
         AND NOT EXISTS (SELECT 1 FROM refunds WHERE payment_id = (SELECT id FROM payments WHERE provider = ? AND provider_ref = ?))`,
    )
    .bind(payment.provider, payment.ref, now, id, payment.amount, payment.currency, payment.provider, payment.ref, payment.provider, payment.ref);
}

/** A return that is no longer requested (rejected) and whose attempt now has its outcome: out of `paying`. */
export function closedReturnNotPayingStatement(d1: D1Database, id: string, now: number) {
  return d1.prepare("UPDATE returns SET difference_status = 'due', updated_at = ? WHERE id = ? AND difference_status = 'paying' AND status <> 'requested'").bind(now, id);
}

/** Returns whose difference payment has had no recorded outcome for a while, oldest first (the sweep). */
export async function listPaying(d1: D1Database, olderThan: number, limit: number) {
  const { results } = await d1
    .prepare(`SELECT ${COLUMNS} FROM returns INDEXED BY returns_paying_idx WHERE difference_status = 'paying' AND updated_at < ? ORDER BY updated_at LIMIT ?`)
    .bind(olderThan, limit)
    .all<ReturnRow>();
  return results;
}

export async function touchPaying(d1: D1Database, id: string, now: number) {
  await d1.prepare("UPDATE returns SET updated_at = ? WHERE id = ? AND difference_status = 'paying'").bind(now, id).run();
}

/**
 * What stands in the way of refunding the whole order: money that already went back through a
 * return ("settled"), or a return still requested or approved ("open"), which could then never be
 * received; null when neither.
 */
export async function returnsBlockingRefund(d1: D1Database, orderId: string): Promise<"settled" | "open" | null> {
  const { results } = await d1.prepare("SELECT DISTINCT status FROM returns WHERE order_id = ? AND status <> 'rejected'").bind(orderId).all<{ status: ReturnStatus }>();
  if (results.some((r) => r.status === "received" || r.status === "refunded")) return "settled";
  return results.length > 0 ? "open" : null;
}

/** What each balance has been promised back by returns of the checkout, by account. */
export async function givenBackByAccount(d1: D1Database, checkoutId: string): Promise<Map<string, number>> {
  const { results } = await d1
    .prepare("SELECT account_id, SUM(amount) AS amount FROM balance_refunds WHERE checkout_id = ? AND kind = 'give_back' GROUP BY account_id")
    .bind(checkoutId)
    .all<{ account_id: string; amount: number }>();
  return new Map(results.map((r) => [r.account_id, r.amount]));
}

export async function pendingBalanceRefunds(d1: D1Database, returnId: string) {
  const { results } = await d1
    .prepare("SELECT id, return_id, account_id, kind, checkout_id, amount, currency, status FROM balance_refunds WHERE return_id = ? AND status = 'pending'")
    .bind(returnId)
    .all<BalanceRefundRow>();
  return results;
}

export async function markBalanceRefunded(d1: D1Database, id: string, now: number) {
  await d1.prepare("UPDATE balance_refunds SET status = 'succeeded', updated_at = ? WHERE id = ? AND status = 'pending'").bind(now, id).run();
}

/** received → refunded, only once the provider confirmed its refund (if any) and every balance was credited. */
export async function completeReturn(d1: D1Database, id: string, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      `UPDATE returns SET status = 'refunded', refunded_at = ?, updated_at = ?, version = version + 1
       WHERE id = ? AND status = 'received'
         AND (refund_id IS NULL OR EXISTS (SELECT 1 FROM refunds WHERE id = returns.refund_id AND status = 'succeeded'))
         AND NOT EXISTS (SELECT 1 FROM refunds WHERE dedupe_key = 'payment:' || returns.payment_id AND status <> 'succeeded')
         AND NOT EXISTS (SELECT 1 FROM balance_refunds WHERE return_id = returns.id AND status <> 'succeeded')`,
    )
    .bind(now, now, id)
    .run();
  return result.meta.changes === 1;
}

/** Received returns not refunded yet, least recently touched first (the settlement sweep). */
export async function listReceived(d1: D1Database, olderThan: number, limit: number) {
  const { results } = await d1
    .prepare("SELECT id FROM returns INDEXED BY returns_received_idx WHERE status = 'received' AND updated_at < ? ORDER BY updated_at LIMIT ?")
    .bind(olderThan, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

export async function touchReceived(d1: D1Database, id: string, now: number) {
  await d1.prepare("UPDATE returns SET updated_at = ? WHERE id = ? AND status = 'received'").bind(now, id).run();
}

/** The return whose provider refund this is (its own, or the one giving back its price difference), if any. */
export async function returnOfRefund(d1: D1Database, refundId: string) {
  const row = await d1
    .prepare("SELECT id FROM returns WHERE refund_id = ? UNION ALL SELECT r.id FROM refunds f JOIN returns r ON r.payment_id = f.payment_id WHERE f.id = ? LIMIT 1")
    .bind(refundId, refundId)
    .first<{ id: string }>();
  return row?.id ?? null;
}

export type VariantFacts = { id: string; product_id: string; category_id: string | null; sku: string; title: string; price: number | null; tax_rate_bps: number; is_bundle: number };

/** Variants a shopper may buy now (for exchange replacements), with their price in `currency` (null where they have none). */
export async function buyableVariants(d1: D1Database, ids: string[], currency: string): Promise<VariantFacts[]> {
  if (ids.length === 0) return [];
  const { results } = await d1
    .prepare(
      `SELECT v.id, v.product_id, p.category_id, v.sku, p.title || ' - ' || v.title AS title, ${priceInCurrencySql("v", "?")} AS price, p.tax_rate_bps, p.is_bundle
       FROM product_variants v JOIN products p ON p.id = v.product_id
       WHERE v.id IN (${ids.map(() => "?").join(", ")}) AND v.deleted_at IS NULL AND p.deleted_at IS NULL AND p.status = 'active'`,
    )
    .bind(currency, currency, ...ids)
    .all<VariantFacts>();
  return results;
}

export async function checkoutLinesOf(d1: D1Database, checkoutId: string) {
  const row = await d1.prepare("SELECT lines, tenders FROM checkouts WHERE id = ?").bind(checkoutId).first<{ lines: string; tenders: string }>();
  return row;
}
