/**
 * Money going back: a refund row is written with the state that makes it due (repo.ts), and this
 * module drives it to the provider's confirmation. Nothing is marked refunded before the provider
 * says so; an attempt that fails is retried with growing delays by the cron sweep, and a refund
 * that cannot succeed (the provider refuses it, or it failed for about a day) is handed to admins:
 * status `needs_attention`, an error log line, an analytics event, and GET /admin/refunds.
 */
import { notFound } from "../../lib/errors";
import { createLogger } from "../../lib/log";
import { BreakerOpenError } from "../../lib/circuit-breaker";
import { writeBusinessEvent } from "../analytics/events";
import { outboundBreakers } from "../outbound/breakers";
import { providerOfPayment, type RefundResult } from "./provider";
import * as repo from "./repo";

/** While one attempt runs, no other worker starts one. */
const ATTEMPT_LEASE_MS = 60_000;
/** Attempts before a refund that keeps failing is handed to an admin (≈ 26 h of backoff). */
export const MAX_REFUND_ATTEMPTS = 12;

/** 1 min, 2 min, 4 min … capped at 6 h. */
export function refundRetryDelayMs(attempts: number): number {
  return Math.min(6 * 3600_000, 60_000 * 2 ** Math.max(0, attempts - 1));
}

export type RefundOutcome = "succeeded" | "pending" | "needs_attention" | "not_due";

const errorName = (err: unknown) => (err instanceof Error ? err.name : "unknown");

/**
 * One attempt at a due pending refund. Never throws for a provider fault (the outcome is
 * recorded on the row); answers what the row is now.
 */
export async function attemptRefund(env: Env, refundId: string, now = Date.now()): Promise<RefundOutcome> {
  const refund = await repo.leaseRefund(env.DB, refundId, now, ATTEMPT_LEASE_MS);
  if (!refund) return "not_due";
  const logger = createLogger({ refundId: refund.id, paymentId: refund.payment_id });
  let result: RefundResult;
  try {
    const provider = providerOfPayment(env, refund.provider);
    result = await outboundBreakers.run(`payment:${provider.name}`, () =>
      provider.refund({
        refundId: refund.id,
        paymentRef: refund.provider_ref,
        amount: refund.amount,
        currency: refund.currency,
        providerRefundRef: refund.provider_refund_ref,
      }),
    );
  } catch (err) {
    if (err instanceof BreakerOpenError) {
      // The provider is known to be down: wait for the breaker without spending an attempt.
      await repo.rescheduleRefund(env.DB, refund.id, { nextAttemptAt: now + err.retryInMs, lastError: "circuit_open", uncountAttempt: true }, now);
      return "pending";
    }
    // Unknown outcome (connection lost, timeout): the retry carries the same refund id, so the
    // provider applies it at most once.
    result = { status: "failed", reason: errorName(err), retryable: true };
  }
  if (result.status === "succeeded") {
    await repo.confirmRefund(env.DB, refund, result.ref, now);
    writeBusinessEvent(env.ANALYTICS, "refund_succeeded", { detail: refund.reason, subjectId: refund.id, value: refund.amount });
    logger.info("refund_succeeded", { attempts: refund.attempts });
    return "succeeded";
  }
  if (result.status === "pending") {
    await repo.rescheduleRefund(env.DB, refund.id, { nextAttemptAt: now + refundRetryDelayMs(refund.attempts), lastError: null, providerRef: result.ref }, now);
    return "pending";
  }
  if (!result.retryable || refund.attempts >= MAX_REFUND_ATTEMPTS) {
    await handToAdmin(env, refund, result.reason, now);
    return "needs_attention";
  }
  logger.warn("refund_attempt_failed", { attempts: refund.attempts, reason: result.reason.slice(0, 80) });
  await repo.rescheduleRefund(env.DB, refund.id, { nextAttemptAt: now + refundRetryDelayMs(refund.attempts), lastError: result.reason }, now);
  return "pending";
}

async function handToAdmin(env: Env, refund: repo.LeasedRefund, reason: string, now: number) {
  if (!(await repo.markNeedsAttention(env.DB, refund.id, reason, now))) return;
  writeBusinessEvent(env.ANALYTICS, "refund_needs_attention", { detail: refund.reason, subjectId: refund.id, value: refund.amount });
  createLogger({ refundId: refund.id, paymentId: refund.payment_id }).error("refund_needs_attention", {
    attempts: refund.attempts,
    reason: reason.slice(0, 80),
    amount: refund.amount,
    currency: refund.currency,
  });
}

export type RefundView = {
  id: string;
  paymentId: string;
  checkoutId: string;
  orderId: string | null;
  amount: { amount: number; currency: string };
  reason: string;
  status: repo.RefundRow["status"];
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  succeededAt: string | null;
};

export function toRefundView(row: repo.RefundRow): RefundView {
  return {
    id: row.id,
    paymentId: row.payment_id,
    checkoutId: row.checkout_id,
    orderId: row.order_id,
    amount: { amount: row.amount, currency: row.currency },
    reason: row.reason,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === "pending" ? new Date(row.next_attempt_at).toISOString() : null,
    lastError: row.last_error,
    createdAt: new Date(row.created_at).toISOString(),
    succeededAt: row.succeeded_at ? new Date(row.succeeded_at).toISOString() : null,
  };
}

/** Admin: a refund handed over (or still pending) is tried again now. */
export async function retryRefundNow(env: Env, id: string, now = Date.now()): Promise<repo.RefundRow> {
  const reopened = await repo.reopenRefund(env.DB, id, now);
  if (!reopened) throw notFound("Retryable refund");
  await attemptRefund(env, id, now);
  return (await repo.findRefund(env.DB, id))!;
}
