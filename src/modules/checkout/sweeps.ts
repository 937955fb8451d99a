/**
 * Cron tasks for checkouts: expire abandoned ones (their stock comes back), resume paid ones
 * stuck before COMPLETED (so a paid checkout always becomes an order or a refund), unstick
 * payments that never got an answer, drive REFUND_PENDING checkouts to REFUNDED, and cancel the
 * payments customers could still confirm for checkouts that can never count them.
 */
import { createLogger } from "../../lib/log";
import { cancelOpenPayment } from "../payments/cancel";
import { finalizeCheckout, settleRefundPendingCheckout } from "./finalize";
import { recordCapturedPayment, recoverPendingPayment, refundNow } from "./payment";
import * as repo from "./repo";
import { expireCheckout } from "./service";

const BATCH = 50;
/** A finalize younger than this may still be running in its request; leave it alone. */
const RESUME_AFTER_MS = 30_000;
/** A payment still pending after this never reached the provider's answer; the shopper may retry. */
const PENDING_TIMEOUT_MS = 5 * 60_000;

const errorName = (err: unknown) => (err instanceof Error ? err.name : "unknown");

/** Expires CREATED/LOCKED checkouts past their expiry and releases their holds. */
export async function expireAbandonedCheckouts(env: Env, now = Date.now()) {
  let expired = 0;
  for (const row of await repo.listExpired(env.DB, now, BATCH)) if (await expireCheckout(env, row, now)) expired += 1;
  return { expired };
}

/** Finalizes PAYMENT_CONFIRMED / ORDER_CREATED checkouts and unsticks abandoned PAYMENT_PENDING ones. */
export async function resumePaidCheckouts(env: Env, now = Date.now()) {
  const logger = createLogger({ task: "resume_paid_checkouts" });
  let resumed = 0;
  let failed = 0;
  for (const row of await repo.listStale(env.DB, ["PAYMENT_CONFIRMED", "ORDER_CREATED"], now - RESUME_AFTER_MS, BATCH)) {
    try {
      await finalizeCheckout(env, row.id, { requestId: null }, now);
      resumed += 1;
    } catch (err) {
      failed += 1;
      logger.error("resume_failed", { checkoutId: row.id, name: errorName(err) });
    }
  }
  const recovered = { confirmed: 0, unlocked: 0, unknown: 0 };
  for (const row of await repo.listStale(env.DB, ["PAYMENT_PENDING"], now - PENDING_TIMEOUT_MS, BATCH)) {
    // The provider says what became of the attempt: paid → the order; not paid → LOCKED again
    // with its discount uses given back in the same batch (a payment confirmed meanwhile keeps
    // them; one confirmed later claims them again, or is refunded).
    try {
      recovered[await recoverPendingPayment(env, row, null, now)] += 1;
    } catch (err) {
      recovered.unknown += 1;
      logger.error("recover_payment_failed", { checkoutId: row.id, name: errorName(err) });
    }
  }
  return { resumed, failed, ...recovered };
}

/** Drives REFUND_PENDING checkouts: stock closed, refund tried when due, REFUNDED once the provider confirmed. */
export async function settleFailedCheckouts(env: Env, now = Date.now()) {
  const logger = createLogger({ task: "settle_failed_checkouts" });
  let refunded = 0;
  let waiting = 0;
  for (const row of await repo.listStale(env.DB, ["REFUND_PENDING"], now - RESUME_AFTER_MS, BATCH)) {
    try {
      const after = await settleRefundPendingCheckout(env, row.id, now);
      if (after?.state === "REFUNDED") refunded += 1;
      else {
        waiting += 1;
        // To the back of the line: refunds in backoff never starve newer ones out of the batch.
        await repo.touch(env.DB, row.id, "REFUND_PENDING", now);
      }
    } catch (err) {
      waiting += 1;
      logger.error("settle_failed_checkout_failed", { checkoutId: row.id, name: errorName(err) });
    }
  }
  return { refunded, waiting };
}

/** How far back the cancel sweep looks for pending payments (see listOpenPaymentsOfEndedCheckouts). */
const CANCEL_LOOKBACK_MS = 7 * 24 * 3_600_000;

/**
 * Cancels at the provider the payments a customer has not confirmed for checkouts that can never
 * count them (superseded by a later checkout of the cart, or paid otherwise), so nothing is charged
 * that would only be refunded. One the customer paid first is recorded, and so refunded, as a
 * late webhook would be. A provider that cannot say is asked again at the next sweep.
 */
export async function cancelEndedCheckoutPayments(env: Env, now = Date.now()) {
  const logger = createLogger({ task: "cancel_ended_checkout_payments" });
  const outcomes = { canceled: 0, refunded: 0, unknown: 0 };
  for (const payment of await repo.listOpenPaymentsOfEndedCheckouts(env.DB, now - CANCEL_LOOKBACK_MS, BATCH)) {
    const outcome = await cancelOpenPayment(env, payment, now);
    if (outcome !== "succeeded") {
      outcomes[outcome] += 1;
      continue;
    }
    try {
      const { provider, provider_ref: ref, amount, currency } = payment;
      await refundNow(env, (await recordCapturedPayment(env, payment.checkout_id, { provider, ref, amount, currency }, now)).refundId, now);
      outcomes.refunded += 1;
    } catch (err) {
      // Still pending: the next sweep asks again and records it then.
      outcomes.unknown += 1;
      logger.error("cancel_record_failed", { checkoutId: payment.checkout_id, name: errorName(err) });
    }
  }
  return outcomes;
}
