/** D1 access for payments (a checkout's captured, pending, failed and refunded payments) and refunds. */
import type { RefundStatus } from "../../db/schema";

export type PaymentRow = { id: string; provider: string; provider_ref: string; amount: number; currency: string; status: string };

const COLUMNS = "id, provider, provider_ref, amount, currency, status";

export function findPayment(d1: D1Database, id: string | null) {
  return d1.prepare(`SELECT ${COLUMNS} FROM payments WHERE id = ?`).bind(id).first<PaymentRow>();
}

/** The pending payment a checkout started with a provider that completes by webhook, if any. */
export function pendingPaymentOfCheckout(d1: D1Database, checkoutId: string, provider: string) {
  return d1
    .prepare(`SELECT ${COLUMNS} FROM payments WHERE checkout_id = ? AND provider = ? AND status = 'pending' ORDER BY created_at DESC LIMIT 1`)
    .bind(checkoutId, provider)
    .first<PaymentRow>();
}

/**
 * A payment's row, once per provider reference. A provider may take a declined payment again (a
 * Stripe intent goes back to waiting for a payment method, and the checkout's next attempt gets
 * the same intent): its `failed` row is then `pending` again, so the shop keeps asking about it,
 * hands out its secret, and cancels it when nothing can count it.
 */
export function insertPaymentStatement(
  d1: D1Database,
  p: { id: string; checkoutId: string; provider: string; ref: string; amount: number; currency: string; status: "succeeded" | "failed" | "pending"; now: number },
) {
  return d1
    .prepare(
      `INSERT INTO payments (id, checkout_id, provider, provider_ref, amount, currency, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (provider, provider_ref) DO UPDATE SET status = 'pending', updated_at = excluded.updated_at
       WHERE payments.status = 'failed' AND excluded.status = 'pending'`,
    )
    .bind(p.id, p.checkoutId, p.provider, p.ref, p.amount, p.currency, p.status, p.now, p.now);
}

/**
 * Records a captured payment: a new row, or a pending/failed one (the customer confirmed, or
 * retried after a failure) moving to succeeded. A refunded payment never goes back.
 */
export function capturedPaymentStatement(
  d1: D1Database,
  p: { id: string; checkoutId: string; provider: string; ref: string; amount: number; currency: string; now: number },
) {
  return d1
    .prepare(
      `INSERT INTO payments (id, checkout_id, provider, provider_ref, amount, currency, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'succeeded', ?, ?)
       ON CONFLICT (provider, provider_ref) DO UPDATE SET status = 'succeeded', amount = excluded.amount, updated_at = excluded.updated_at
       WHERE payments.status IN ('pending', 'failed', 'canceled')`,
    )
    .bind(p.id, p.checkoutId, p.provider, p.ref, p.amount, p.currency, p.now, p.now);
}

/** A payment attempt that did not go through (declined, or reported failed by webhook). */
export function failedPaymentStatement(d1: D1Database, provider: string, ref: string, now: number) {
  return d1.prepare("UPDATE payments SET status = 'failed', updated_at = ? WHERE provider = ? AND provider_ref = ? AND status = 'pending'").bind(now, provider, ref);
}

/** A pending payment the provider canceled: the customer can no longer pay it. */
export function canceledPaymentStatement(d1: D1Database, id: string, now: number) {
  return d1.prepare("UPDATE payments SET status = 'canceled', updated_at = ? WHERE id = ? AND status = 'pending'").bind(now, id);
}

/** To the back of the cancel sweep's line (its provider could not say). */
export function touchPendingPaymentStatement(d1: D1Database, id: string, now: number) {
  return d1.prepare("UPDATE payments SET updated_at = ? WHERE id = ? AND status = 'pending'").bind(now, id);
}

// ── Refunds ──────────────────────────────────────────────────────────────────

export type RefundRow = {
  id: string;
  payment_id: string;
  checkout_id: string;
  order_id: string | null;
  amount: number;
  currency: string;
  reason: string;
  status: RefundStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  provider_refund_ref: string | null;
  created_at: number;
  updated_at: number;
  succeeded_at: number | null;
};
export type LeasedRefund = RefundRow & { provider: string; provider_ref: string };

const REFUND_COLUMNS =
  "id, payment_id, checkout_id, order_id, amount, currency, reason, status, attempts, next_attempt_at, last_error, provider_refund_ref, created_at, updated_at, succeeded_at";
const INSERT_REFUND = `INSERT INTO refunds (id, payment_id, checkout_id, order_id, amount, currency, reason, status, attempts, next_attempt_at, dedupe_key, created_at, updated_at)`;
/**
 * What of payment `p` no refund claims yet: its amount less every refund of it, whatever their
 * status (a pending or handed-over refund is money promised back). Every refund insert takes at
 * most this, so the refunds of a payment never add up to more than it captured.
 */
const UNREFUNDED = "(p.amount - (SELECT COALESCE(SUM(prior.amount), 0) FROM refunds prior WHERE prior.payment_id = p.id))";

/**
 * A full refund of the checkout's own payment, written only while the checkout is REFUND_PENDING
 * (put it after that transition in the same batch). One per payment, however often it runs.
 */
export function refundCheckoutPaymentStatement(d1: D1Database, refundId: string, checkoutId: string, reason: string, now: number) {
  return d1
    .prepare(
      `${INSERT_REFUND}
       SELECT ?, p.id, c.id, NULL, ${UNREFUNDED}, p.currency, ?, 'pending', 0, ?, 'payment:' || p.id, ?, ?
       FROM checkouts c JOIN payments p ON p.id = c.payment_id
       WHERE c.id = ? AND c.state = 'REFUND_PENDING' AND p.status = 'succeeded' AND ${UNREFUNDED} > 0
       ON CONFLICT (dedupe_key) DO NOTHING`,
    )
    .bind(refundId, reason, now, now, now, checkoutId);
}

/**
 * A full refund of a captured payment that its checkout does not count (a second payment, or
 * one for a checkout that had already failed or expired for good). One per payment.
 */
export function refundUnownedPaymentStatement(d1: D1Database, refundId: string, provider: string, ref: string, now: number) {
  return d1
    .prepare(
      `${INSERT_REFUND}
       SELECT ?, p.id, p.checkout_id, NULL, ${UNREFUNDED}, p.currency, 'unowned_payment', 'pending', 0, ?, 'payment:' || p.id, ?, ?
       FROM payments p
       WHERE p.provider = ? AND p.provider_ref = ? AND p.status = 'succeeded' AND ${UNREFUNDED} > 0
         AND NOT EXISTS (SELECT 1 FROM checkouts c WHERE c.id = p.checkout_id AND c.payment_id = p.id)
         AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.payment_id = p.id)
       ON CONFLICT (dedupe_key) DO NOTHING`,
    )
    .bind(refundId, now, now, now, provider, ref);
}

/**
 * A full refund of the payment of a return's price difference (returns.payment_id), written only
 * if `onlyIf` holds: the rejection, or the receipt that drops the exchange, in the same batch.
 * Its dedupe key is the one an unowned payment's refund takes, so the two are never both written.
 */
export function refundDifferencePaymentStatement(
  d1: D1Database,
  r: { refundId: string; returnId: string; reason: string; now: number; onlyIf: { sql: string; args: unknown[] } },
) {
  return d1
    .prepare(
      `${INSERT_REFUND}
       SELECT ?, p.id, p.checkout_id, NULL, ${UNREFUNDED}, p.currency, ?, 'pending', 0, ?, 'payment:' || p.id, ?, ?
       FROM returns ret JOIN payments p ON p.id = ret.payment_id
       WHERE ret.id = ? AND p.status = 'succeeded' AND ${UNREFUNDED} > 0 AND ${r.onlyIf.sql}
       ON CONFLICT (dedupe_key) DO NOTHING`,
    )
    .bind(r.refundId, r.reason, r.now, r.now, r.now, r.returnId, ...r.onlyIf.args);
}

/**
 * A full refund of an order's payment, written only if the order is (still) in `status` at
 * `version` — the status change in the same batch, just before it, is what makes it due.
 */
export function refundOrderPaymentStatement(d1: D1Database, refundId: string, order: { id: string; status: string; version: number }, reason: string, now: number) {
  return d1
    .prepare(
      `${INSERT_REFUND}
       SELECT ?, p.id, p.checkout_id, p.order_id, ${UNREFUNDED}, p.currency, ?, 'pending', 0, ?, 'payment:' || p.id, ?, ?
       FROM payments p
       WHERE p.order_id = ? AND p.status = 'succeeded' AND ${UNREFUNDED} > 0
         AND EXISTS (SELECT 1 FROM orders WHERE id = ? AND status = ? AND version = ?)
       ON CONFLICT (dedupe_key) DO NOTHING`,
    )
    .bind(refundId, reason, now, now, now, order.id, order.id, order.status, order.version);
}

/**
 * A partial refund of an order's payment (a return), written only if `amount` fits in what no
 * refund of the payment claims yet and `onlyIf` holds (the state change that makes it due, in the
 * same batch). One per `dedupeKey`.
 */
export function refundPartOfOrderPaymentStatement(
  d1: D1Database,
  r: { refundId: string; orderId: string; amount: number; reason: string; dedupeKey: string; now: number; onlyIf: { sql: string; args: unknown[] } },
) {
  return d1
    .prepare(
      `${INSERT_REFUND}
       SELECT ?, p.id, p.checkout_id, p.order_id, ?, p.currency, ?, 'pending', 0, ?, ?, ?, ?
       FROM payments p
       WHERE p.order_id = ? AND p.status = 'succeeded' AND ? > 0 AND ? <= ${UNREFUNDED} AND ${r.onlyIf.sql}
       ON CONFLICT (dedupe_key) DO NOTHING`,
    )
    .bind(r.refundId, r.amount, r.reason, r.now, r.dedupeKey, r.now, r.now, r.orderId, r.amount, r.amount, ...r.onlyIf.args);
}

/** What of an order's captured payment no refund claims yet (0 when it has no payment). */
export async function unrefundedOfOrder(d1: D1Database, orderId: string): Promise<number> {
  const row = await d1
    .prepare(`SELECT ${UNREFUNDED} AS left FROM payments p WHERE p.order_id = ? AND p.status IN ('succeeded', 'refunded')`)
    .bind(orderId)
    .first<{ left: number }>();
  return Math.max(0, row?.left ?? 0);
}

export function findRefund(d1: D1Database, id: string) {
  return d1.prepare(`SELECT ${REFUND_COLUMNS} FROM refunds WHERE id = ?`).bind(id).first<RefundRow>();
}

export async function refundsOfOrders(d1: D1Database, orderIds: string[]): Promise<RefundRow[]> {
  if (orderIds.length === 0) return [];
  const { results } = await d1
    .prepare(`SELECT ${REFUND_COLUMNS} FROM refunds WHERE order_id IN (${orderIds.map(() => "?").join(", ")}) ORDER BY created_at, id`)
    .bind(...orderIds)
    .all<RefundRow>();
  return results;
}

/** The full refund of a payment (dedupe key `payment:<id>`), if one was written. */
export function refundOfPayment(d1: D1Database, paymentId: string | null) {
  return d1.prepare(`SELECT ${REFUND_COLUMNS} FROM refunds WHERE dedupe_key = 'payment:' || ?`).bind(paymentId).first<RefundRow>();
}

/**
 * Takes a due pending refund for one attempt: counts the attempt and pushes its due time out by
 * `leaseMs`, so a second worker does not call the provider at the same time. Null when not due.
 */
export async function leaseRefund(d1: D1Database, id: string, now: number, leaseMs: number): Promise<LeasedRefund | null> {
  return d1
    .prepare(
      `UPDATE refunds SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ?
       WHERE id = ? AND status = 'pending' AND next_attempt_at <= ?
       RETURNING ${REFUND_COLUMNS},
         (SELECT provider FROM payments WHERE payments.id = refunds.payment_id) AS provider,
         (SELECT provider_ref FROM payments WHERE payments.id = refunds.payment_id) AS provider_ref`,
    )
    .bind(now + leaseMs, now, id, now)
    .first<LeasedRefund>();
}

/** The provider confirmed: the refund succeeded and, once fully refunded, so is the payment. */
export async function confirmRefund(d1: D1Database, refund: { id: string; payment_id: string }, providerRef: string, now: number) {
  await d1.batch([
    d1
      .prepare("UPDATE refunds SET status = 'succeeded', provider_refund_ref = ?, succeeded_at = ?, last_error = NULL, updated_at = ? WHERE id = ? AND status = 'pending'")
      .bind(providerRef, now, now, refund.id),
    d1
      .prepare(
        `UPDATE payments SET status = 'refunded', updated_at = ?
         WHERE id = ? AND status = 'succeeded' AND amount <= (SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = ? AND status = 'succeeded')`,
      )
      .bind(now, refund.payment_id, refund.payment_id),
  ]);
}

/** Not confirmed yet: try again at `nextAttemptAt` (a provider reference, once known, is kept to ask about it). */
export async function rescheduleRefund(
  d1: D1Database,
  id: string,
  change: { nextAttemptAt: number; lastError: string | null; providerRef?: string | null; uncountAttempt?: boolean },
  now: number,
) {
  await d1
    .prepare(
      `UPDATE refunds SET next_attempt_at = ?, last_error = COALESCE(?, last_error), provider_refund_ref = COALESCE(?, provider_refund_ref),
         attempts = attempts - ?, updated_at = ?
       WHERE id = ? AND status = 'pending'`,
    )
    .bind(change.nextAttemptAt, change.lastError, change.providerRef ?? null, change.uncountAttempt ? 1 : 0, now, id)
    .run();
}

/** Retrying will not help (or has not, for too long): an admin has to look at it. */
export async function markNeedsAttention(d1: D1Database, id: string, lastError: string, now: number) {
  const result = await d1
    .prepare("UPDATE refunds SET status = 'needs_attention', last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'")
    .bind(lastError.slice(0, 500), now, id)
    .run();
  return result.meta.changes === 1;
}

/** An admin retry: a refund handed over to admins becomes due again, with a fresh count of attempts. */
export async function reopenRefund(d1: D1Database, id: string, now: number) {
  return d1
    .prepare(
      `UPDATE refunds SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?
       WHERE id = ? AND status IN ('needs_attention', 'pending') RETURNING ${REFUND_COLUMNS}`,
    )
    .bind(now, now, id)
    .first<RefundRow>();
}

/** Pending refunds whose next attempt is due, oldest due first (index refunds_due_idx). */
export async function listDueRefunds(d1: D1Database, now: number, limit: number): Promise<RefundRow[]> {
  const { results } = await d1
    .prepare(`SELECT ${REFUND_COLUMNS} FROM refunds WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`)
    .bind(now, limit)
    .all<RefundRow>();
  return results;
}

/** A page of refunds for admins, newest change first; keyset on (updated_at, id). */
export async function listRefunds(d1: D1Database, status: RefundStatus | undefined, after: { updatedAt: number; id: string } | null, limit: number) {
  const where: string[] = [];
  const args: unknown[] = [];
  if (status) {
    where.push("status = ?");
    args.push(status);
  }
  if (after) {
    where.push("(updated_at < ? OR (updated_at = ? AND id < ?))");
    args.push(after.updatedAt, after.updatedAt, after.id);
  }
  const { results } = await d1
    .prepare(`SELECT ${REFUND_COLUMNS} FROM refunds ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY updated_at DESC, id DESC LIMIT ?`)
    .bind(...args, limit)
    .all<RefundRow>();
  return results;
}
