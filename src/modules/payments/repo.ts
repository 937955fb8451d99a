/** D1 access for payment rows (a checkout's captured, failed and refunded payments). */
export type PaymentRow = { id: string; provider: string; provider_ref: string; amount: number; status: string };

const COLUMNS = "id, provider, provider_ref, amount, status";

export function findPayment(d1: D1Database, id: string | null) {
  return d1.prepare(`SELECT ${COLUMNS} FROM payments WHERE id = ?`).bind(id).first<PaymentRow>();
}

export function succeededPaymentOfOrder(d1: D1Database, orderId: string) {
  return d1.prepare(`SELECT ${COLUMNS} FROM payments WHERE order_id = ? AND status = 'succeeded' LIMIT 1`).bind(orderId).first<PaymentRow>();
}

/** The payment with this provider reference on this checkout, and whether it is the one the checkout counts. */
export function paymentByRef(d1: D1Database, provider: string, ref: string, checkoutId: string) {
  return d1
    .prepare(
      `SELECT p.id, p.provider, p.provider_ref, p.amount, p.status, (c.payment_id = p.id) AS is_checkouts
       FROM payments p JOIN checkouts c ON c.id = p.checkout_id
       WHERE p.provider = ? AND p.provider_ref = ? AND p.checkout_id = ?`,
    )
    .bind(provider, ref, checkoutId)
    .first<PaymentRow & { is_checkouts: number | null }>();
}

export async function markRefunded(d1: D1Database, id: string, now: number) {
  await d1.prepare("UPDATE payments SET status = 'refunded', updated_at = ? WHERE id = ? AND status = 'succeeded'").bind(now, id).run();
}
