/**
 * Refunds across the shop: the cron task that retries every due refund and finishes what a
 * confirmed refund completes (a REFUND_PENDING checkout becomes REFUNDED, a cancelled or refunded
 * order becomes settled), and the admin view of refunds handed over for attention.
 */
import { notFound } from "../../lib/errors";
import { createLogger } from "../../lib/log";
import { settleRefundPendingCheckout } from "../checkout/finalize";
import { settleOrder } from "../orders/service";
import { settleReturnOfRefund } from "../returns/receive";
import { attemptRefund, retryRefundNow } from "../payments/refunds";
import * as payments from "../payments/repo";

const BATCH = 50;
const errorName = (err: unknown) => (err instanceof Error ? err.name : "unknown");

/** After the provider confirmed a refund: the checkout, order or return it belongs to is closed or settled. */
async function completeWhatItRefunds(env: Env, refund: payments.RefundRow, now: number) {
  if (refund.reason === "return" || refund.reason === "exchange_dropped") await settleReturnOfRefund(env, refund.id, now);
  if (refund.order_id) await settleOrder(env, refund.order_id, now);
  else await settleRefundPendingCheckout(env, refund.checkout_id, now);
}

/** Cron: one attempt at every refund whose retry is due. */
export async function retryDueRefunds(env: Env, now = Date.now()) {
  const logger = createLogger({ task: "retry_due_refunds" });
  const outcomes = { succeeded: 0, pending: 0, needs_attention: 0, not_due: 0 };
  for (const refund of await payments.listDueRefunds(env.DB, now, BATCH)) {
    try {
      const outcome = await attemptRefund(env, refund.id, now);
      outcomes[outcome] += 1;
      if (outcome === "succeeded") await completeWhatItRefunds(env, refund, now);
    } catch (err) {
      logger.error("refund_retry_failed", { refundId: refund.id, name: errorName(err) });
    }
  }
  return outcomes;
}

export function listRefunds(env: Env, status: payments.RefundRow["status"] | undefined, after: { updatedAt: number; id: string } | null, limit: number) {
  return payments.listRefunds(env.DB, status, after, limit);
}

export async function getRefund(env: Env, id: string) {
  const row = await payments.findRefund(env.DB, id);
  if (!row) throw notFound("Refund");
  return row;
}

/** Admin: try a refund again now (one handed over, or one waiting for its backoff). */
export async function retryRefund(env: Env, id: string, now = Date.now()) {
  const row = await retryRefundNow(env, id, now);
  if (row.status === "succeeded") await completeWhatItRefunds(env, row, now);
  return row;
}
