/**
 * The price difference of an exchange whose replacements cost more than what comes back. The
 * customer pays it through the server's provider (POST /store/returns/:id/payment) before an
 * admin may approve the return: `due → paying → paid`, and a decline (or an attempt the provider
 * never saw) goes back to `due`. Its payment is a `payments` row under the exchange key, like a
 * checkout's. Money the return cannot count (it was rejected meanwhile, or the amount is not what
 * is due) goes back at once through the confirmed-refund path, as does a paid difference when
 * the return is rejected or its exchange is dropped at receipt.
 */
import { BreakerOpenError } from "../../lib/circuit-breaker";
import { AppError, conflict, invalidState, notFound, validationError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { createLogger } from "../../lib/log";
import { outboundBreakers } from "../outbound/breakers";
import { configuredProvider, providerForRequest, providerUnavailable, QUIET_ATTEMPT_MS, type PaymentProvider, type StartInput, type StartResult } from "../payments/provider";
import { cancelOpenPayment } from "../payments/cancel";
import { attemptRefund } from "../payments/refunds";
import * as payments from "../payments/repo";
import { exchangeKeyOf } from "./keys";
import * as repo from "./repo";

/** The 409 for approving an exchange whose difference is not paid yet. */
export const differenceUnpaid = (status: string) =>
  invalidState("The customer has not paid the exchange's price difference yet", { reason: "difference_unpaid", differenceStatus: status });

const startInputOf = (row: repo.ReturnRow, token: string | undefined): StartInput => ({
  checkoutId: exchangeKeyOf(row.id),
  attemptKey: `${exchangeKeyOf(row.id)}:${row.payment_attempts}`,
  amount: row.amount_due,
  currency: row.currency,
  token,
});

/**
 * Records a captured difference payment in one batch: the payment row, the return's move to
 * `paid` when it still counts it, else a full refund of it, which is then tried at once.
 * Answers whether the return counts it.
 */
export async function recordDifferencePayment(env: Env, returnId: string, payment: { provider: string; ref: string; amount: number; currency: string }, now = Date.now()) {
  const refundId = newId("rfd", now);
  const [, paid, refunded] = await env.DB.batch([
    payments.capturedPaymentStatement(env.DB, { id: newId("pay", now), checkoutId: exchangeKeyOf(returnId), ...payment, now }),
    repo.differencePaidStatement(env.DB, returnId, payment, now),
    payments.refundUnownedPaymentStatement(env.DB, refundId, payment.provider, payment.ref, now),
    // A rejected return's attempt has its outcome now (refunded): nothing is left to ask about.
    repo.closedReturnNotPayingStatement(env.DB, returnId, now),
  ]);
  if (refunded!.meta.changes === 1) {
    createLogger({ returnId }).warn("difference_payment_refunded", { reason: "not_counted" });
    await attemptRefund(env, refundId, now);
  }
  return paid!.meta.changes === 1;
}

type Recovery = { outcome: "paid" | "due" | "unknown" } | { outcome: "waiting"; clientSecret: string };

/**
 * What became of an attempt whose outcome was never recorded, asked of the provider (by the
 * recorded reference when there is one): paid (and counted), due again (not paid, or paid but not
 * counted and so refunded), waiting for the customer's confirmation, or unknown.
 */
async function recoverAttempt(env: Env, row: repo.ReturnRow, provider: PaymentProvider, now: number): Promise<Recovery> {
  const pending = await payments.pendingPaymentOfCheckout(env.DB, exchangeKeyOf(row.id), provider.name);
  let found: StartResult | null;
  try {
    found = await provider.lookup(startInputOf(row, undefined), pending?.provider_ref);
  } catch (err) {
    createLogger({ returnId: row.id }).warn("difference_lookup_failed", { name: err instanceof Error ? err.name : "unknown" });
    return { outcome: "unknown" };
  }
  if (found?.status === "succeeded") {
    const counted = await recordDifferencePayment(env, row.id, { provider: provider.name, ref: found.ref, amount: row.amount_due, currency: row.currency }, now);
    // Not counted: it was refunded; the difference is due again (a rejected return's, only on paper).
    if (!counted) await repo.differenceDueAgainStatement(env.DB, row.id, null, now).run();
    return { outcome: counted ? "paid" : "due" };
  }
  if (found?.status === "requires_confirmation") {
    // The customer confirms with the provider: the intent is recorded, so asking again hands out its secret.
    await payments.insertPaymentStatement(env.DB, { id: newId("pay", now), checkoutId: exchangeKeyOf(row.id), provider: provider.name, ref: found.ref, amount: row.amount_due, currency: row.currency, status: "pending", now }).run();
    return { outcome: "waiting", clientSecret: found.clientSecret };
  }
  await repo.differenceDueAgainStatement(env.DB, row.id, row.payment_attempts, now).run();
  return { outcome: "due" };
}

/** Asks the provider for the claimed attempt; answers the client secret when the customer must confirm. */
async function startAttempt(env: Env, row: repo.ReturnRow, provider: PaymentProvider, token: string | undefined, requestId: string | null, now: number): Promise<{ clientSecret?: string }> {
  const input = startInputOf(row, token);
  let result: StartResult;
  try {
    result = await outboundBreakers.run(`payment:${provider.name}`, () => provider.start(input));
  } catch (err) {
    createLogger({ requestId }).warn("payment_provider_failed", { returnId: row.id, provider: provider.name, name: err instanceof Error ? err.name : "unknown" });
    if (err instanceof BreakerOpenError) {
      await repo.differenceDueAgainStatement(env.DB, row.id, row.payment_attempts, now).run();
      throw providerUnavailable(err);
    }
    // The outcome is unknown (the provider may have charged): ask it before answering.
    const recovered = await recoverAttempt(env, row, provider, now);
    if (recovered.outcome === "paid") return {};
    if (recovered.outcome === "waiting") return { clientSecret: recovered.clientSecret };
    throw providerUnavailable(err);
  }
  if (result.status === "declined") {
    await env.DB.batch([
      payments.insertPaymentStatement(env.DB, { id: newId("pay", now), checkoutId: input.checkoutId, provider: provider.name, ref: result.ref, amount: input.amount, currency: input.currency, status: "failed", now }),
      repo.differenceDueAgainStatement(env.DB, row.id, row.payment_attempts, now),
    ]);
    throw new AppError("PAYMENT_FAILED", "The payment was declined", 402, { reason: result.reason });
  }
  if (result.status === "requires_confirmation") {
    await payments.insertPaymentStatement(env.DB, { id: newId("pay", now), checkoutId: input.checkoutId, provider: provider.name, ref: result.ref, amount: input.amount, currency: input.currency, status: "pending", now }).run();
    return { clientSecret: result.clientSecret };
  }
  if (!(await recordDifferencePayment(env, row.id, { provider: provider.name, ref: result.ref, amount: input.amount, currency: input.currency }, now))) {
    throw conflict("The return changed while it was being paid; the payment goes back");
  }
  return {};
}

/**
 * Store: pays the price difference of the customer's own requested return. Paying again after
 * it is paid answers the return (nothing is charged twice); while a Stripe-compatible payment
 * waits for the customer, asking again answers the same client secret.
 */
export async function payDifference(
  env: Env,
  customerId: string,
  returnId: string,
  input: { provider?: string; token?: string },
  requestId: string | null,
  now = Date.now(),
  retried = false,
): Promise<{ clientSecret?: string }> {
  const provider = providerForRequest(env, input.provider, requestId);
  const tokenProblem = provider.invalidToken(input.token);
  if (tokenProblem) throw validationError([{ path: "token", message: tokenProblem }]);
  const claimed = await repo.claimDifference(env.DB, returnId, customerId, now);
  if (claimed) return startAttempt(env, claimed, provider, input.token, requestId, now);
  const row = await repo.findReturn(env.DB, returnId);
  // Another customer's return answers exactly like a missing one.
  if (!row || row.customer_id !== customerId) throw notFound("Return");
  if (row.difference_status === "paid") return {};
  if (row.difference_status === "none") throw invalidState("This return has no price difference to pay", { reason: "nothing_due" });
  if (row.status !== "requested") throw invalidState(`A return that is ${row.status} takes no payment`, { status: row.status });
  if (row.difference_status === "paying") {
    // A payment the customer confirms with the provider (asking again answers its client secret),
    // or an attempt whose request went quiet: the provider says what became of it.
    const pending = await payments.pendingPaymentOfCheckout(env.DB, exchangeKeyOf(row.id), provider.name);
    if (pending || row.updated_at < now - QUIET_ATTEMPT_MS) {
      const recovered = await recoverAttempt(env, row, provider, now);
      if (recovered.outcome === "paid") return {};
      if (recovered.outcome === "waiting") return { clientSecret: recovered.clientSecret };
      // Not paid: this request makes the next attempt.
      if (recovered.outcome === "due" && !retried) return payDifference(env, customerId, returnId, input, requestId, now, true);
    }
    throw conflict("A payment for this return is in progress");
  }
  throw conflict("The return changed; read it again");
}

/** Webhook: the customer's attempt failed; the difference is due again. */
export async function differencePaymentFailed(env: Env, returnId: string, provider: string, ref: string, now = Date.now()) {
  await env.DB.batch([payments.failedPaymentStatement(env.DB, provider, ref, now), repo.differenceDueAgainStatement(env.DB, returnId, null, now)]);
}

/**
 * A rejected return's payment that still waits for the customer is canceled at the provider, so
 * it can no longer be paid; the difference is then due only on paper. One the customer paid first
 * is recorded, and so refunded (recoverAttempt).
 */
async function cancelRejectedAttempt(env: Env, row: repo.ReturnRow, provider: PaymentProvider, now: number): Promise<Recovery["outcome"]> {
  const pending = await payments.pendingPaymentOfCheckout(env.DB, exchangeKeyOf(row.id), provider.name);
  const canceled = pending ? await cancelOpenPayment(env, pending, now) : "unknown";
  if (canceled === "succeeded") return (await recoverAttempt(env, row, provider, now)).outcome;
  if (canceled === "unknown") return "unknown";
  await repo.differenceDueAgainStatement(env.DB, row.id, null, now).run();
  return "due";
}

/**
 * Cron: attempts whose outcome nobody recorded for a minute are settled by asking the provider;
 * a rejected return's attempt that still waits for the customer is canceled. Every answer but
 * "still waiting" or "cannot say" takes the return out of `paying`, and the others go to the back
 * of the line, so the oldest rows cannot hold the batch for good.
 */
export async function settlePayingDifferences(env: Env, now = Date.now()) {
  const rows = await repo.listPaying(env.DB, now - 60_000, 50);
  const provider = configuredProvider(env);
  let settled = 0;
  for (const row of rows) {
    let { outcome } = await recoverAttempt(env, row, provider, now);
    if (outcome === "waiting" && row.status === "rejected") outcome = await cancelRejectedAttempt(env, row, provider, now);
    if (outcome === "paid" || outcome === "due") settled += 1;
    else await repo.touchPaying(env.DB, row.id, now);
  }
  return { settled, waiting: rows.length - settled };
}
