/**
 * Paying a checkout: LOCKED → PAYMENT_PENDING → start the payment with the configured provider →
 * either PAYMENT_CONFIRMED at once (test provider) and finalize, or an answer with the provider's
 * client secret while the customer confirms (Stripe-compatible), completed by the signed webhook.
 * A decline or a provider fault returns the checkout to LOCKED with its stock still held and its
 * discount uses given back in the same batch, so the shopper can retry.
 */
import { AppError, conflict, invalidState, notFound, validationError } from "../../lib/errors";
import { createLogger } from "../../lib/log";
import { BreakerOpenError } from "../../lib/circuit-breaker";
import { newId } from "../../lib/ids";
import { writeBusinessEvent } from "../analytics/events";
import { amountDue, captureTenders, closeTenders, releaseTenders, tendersOf, type Tender } from "../gift-cards/tenders";
import { closeLines, commitLines, releaseLines, stockLinesOf } from "../inventory/service";
import { orderIdFor, placementStatements } from "../orders/placement";
import { outboundBreakers } from "../outbound/breakers";
import { configuredProvider, providerForRequest, providerUnavailable, QUIET_ATTEMPT_MS, type PaymentProvider, type StartResult } from "../payments/provider";
import { attemptRefund } from "../payments/refunds";
import * as payments from "../payments/repo";
import { checkoutIn, claimSnapshotStatements, firstUnheld, heldClaimsStatement, refuseClaims, releaseClaimStatements, type ClaimFailure } from "./discount-claims";
import { finalizeCheckout, type FinalizeContext } from "./finalize";
import * as repo from "./repo";
import type { Checkout, PaymentAnswer, PaymentBody } from "./schemas";
import { closeSuperseded, codeNoLongerApplies, expireCheckout, toCheckout } from "./service";

export type Confirmation = { provider: string; ref: string; amount: number; currency: string };


/**
 * Records a captured payment in one batch: the payment row, the checkout's move to
 * PAYMENT_CONFIRMED when it may still count it, and otherwise a refund of it. Answers whether the
 * checkout counts it now and the refund written, if any — and, read in the same batch, the row
 * and the discount uses it holds (what finalize starts from).
 */
export async function recordCapturedPayment(env: Env, checkoutId: string, payment: Confirmation, now = Date.now()) {
  const refundId = newId("rfd", now);
  const [, moved, refunded, row, held] = await env.DB.batch<Record<string, unknown>>([
    payments.capturedPaymentStatement(env.DB, { id: newId("pay", now), checkoutId, ...payment, now }),
    repo.confirmStatement(env.DB, checkoutId, payment.provider, payment.ref, now),
    payments.refundUnownedPaymentStatement(env.DB, refundId, payment.provider, payment.ref, now),
    repo.findCheckoutStatement(env.DB, checkoutId),
    heldClaimsStatement(env.DB, checkoutId),
  ]);
  return {
    confirmed: moved!.meta.changes === 1,
    refundId: refunded!.meta.changes === 1 ? refundId : null,
    row: (row!.results[0] as repo.CheckoutRow | undefined) ?? null,
    heldDiscountIds: (held!.results as { discountId: string }[]).map((r) => r.discountId),
  };
}

/** A payment nobody's order will keep goes back now if the provider answers; else the sweep retries it. */
export async function refundNow(env: Env, refundId: string | null, now = Date.now()) {
  if (refundId) await attemptRefund(env, refundId, now);
}

/** Runs finalize now; if it fails the cron sweep resumes it, so the answer is the current state. */
export async function finalizeOrDefer(env: Env, checkoutId: string, requestId: string | null, ctx: Omit<FinalizeContext, "requestId"> = {}): Promise<Checkout> {
  try {
    const row = await finalizeCheckout(env, checkoutId, { ...ctx, requestId });
    if (row) return toCheckout(row);
  } catch (err) {
    createLogger({ requestId }).error("finalize_deferred", { checkoutId, name: err instanceof Error ? err.name : "unknown" });
  }
  return toCheckout((await repo.findCheckout(env.DB, checkoutId))!);
}

/**
 * What the payment request read up front and may run after its answer (see FinalizeContext).
 * `claimsHeld`: this request moved the checkout to PAYMENT_PENDING and holds every discount use of
 * its snapshot, so a capture may go the one-batch way (placeCaptured).
 */
type PayContext = { email: string | null; claimsHeld?: boolean; defer?: (work: Promise<unknown>) => void };

/** Records the capture and finalizes, starting from what the record batch read. */
async function recordAndFinalize(env: Env, row: repo.CheckoutRow, confirmation: Confirmation, requestId: string | null, now: number, pay: PayContext): Promise<Checkout> {
  const recorded = await recordCapturedPayment(env, row.id, confirmation, now);
  await refundNow(env, recorded.refundId, now);
  const start = recorded.row && pay.email !== null ? { row: recorded.row, heldDiscountIds: recorded.heldDiscountIds, email: pay.email } : undefined;
  return finalizeOrDefer(env, row.id, requestId, { start, defer: pay.defer });
}

/**
 * A capture taken by the request that holds the attempt, in one D1 trip after the provider: the
 * stock is committed and the gift cards and store credit captured first, then one batch records
 * the payment, confirms the checkout and places the order. Two guards make that batch all or
 * nothing: before the confirm, the checkout must still be in this attempt (so the discount uses
 * it claimed are still held; an attempt unlocked meanwhile gave them back), and after it, it must
 * be confirmed by this payment.
 *
 * Anything else — a line that could not be sold, a balance that could not be captured, an object
 * that failed, a batch that did not apply — goes the two-batch way (record, then finalize), which
 * records the money first, finds the commits and captures already made, claims the uses again
 * or refunds, and refunds the payment when no order can be made. A request that dies between the
 * commits and the batch leaves the attempt PAYMENT_PENDING with its stock sold; the provider
 * lookup (a retry after 30 s, or the sweep) records the capture and finalize finds them made. A
 * checkout superseded meanwhile can never be confirmed: what this request sold for it is closed.
 */
async function placeCaptured(env: Env, row: repo.CheckoutRow, confirmation: Confirmation, requestId: string | null, now: number, pay: PayContext & { email: string }): Promise<Checkout> {
  const lines = stockLinesOf(repo.snapshotOf(row).lines);
  const tenders = tendersOf(row);
  try {
    // Stock and balances at once: if either fails, finalize's failure path closes both.
    const [unsold, captured] = await Promise.all([commitLines(env, row.id, lines), captureTenders(env, row.id, tenders)]);
    if (unsold.length === 0 && captured) {
      const paymentId = newId("pay", now);
      const confirmed: repo.CheckoutRow = { ...row, state: "PAYMENT_CONFIRMED", payment_id: paymentId };
      const results = await env.DB.batch([
        payments.capturedPaymentStatement(env.DB, { id: paymentId, checkoutId: row.id, ...confirmation, now }),
        repo.abortUnlessAttemptStatement(env.DB, row.id, row.version),
        repo.confirmStatement(env.DB, row.id, confirmation.provider, confirmation.ref, now),
        repo.abortUnlessConfirmedByStatement(env.DB, row.id, paymentId),
        ...placementStatements(env.DB, confirmed, pay.email, requestId, now),
      ]);
      if (results.at(-1)?.meta.changes === 1) {
        const placed = { ...confirmed, state: "ORDER_CREATED" as const, order_id: orderIdFor(row.id) };
        const done = await finalizeCheckout(env, row.id, { requestId, defer: pay.defer, start: { row: placed, heldDiscountIds: [], email: pay.email } });
        return toCheckout(done ?? placed);
      }
    }
  } catch (err) {
    createLogger({ requestId }).warn("payment_one_batch_fell_back", { checkoutId: row.id, name: err instanceof Error ? err.name : "unknown" });
  }
  try {
    return await recordAndFinalize(env, row, confirmation, requestId, now, pay);
  } finally {
    await closeIfUnconfirmable(env, row.id, lines.map((l) => l.variantId), tenders, requestId);
  }
}

/**
 * After pay-and-place fell back: a checkout that can never be confirmed any more (EXPIRED other
 * than by time: superseded) must not keep what this request committed and captured. Any other
 * state keeps them — an order has them, a refund closes them, or a payment may still come whose
 * finalize sells exactly these commits (LOCKED, PAYMENT_PENDING, EXPIRED by time). A close that
 * fails is logged; the superseding checkout's own close retries nothing, so it needs an operator.
 */
async function closeIfUnconfirmable(env: Env, checkoutId: string, variantIds: string[], tenders: Tender[], requestId: string | null) {
  try {
    if (!(await repo.endedUnconfirmable(env.DB, checkoutId))) return;
    await Promise.all([closeLines(env, checkoutId, variantIds), closeTenders(env, checkoutId, tenders)]);
  } catch (err) {
    createLogger({ requestId }).error("paid_checkout_close_failed", { checkoutId, name: err instanceof Error ? err.name : "unknown" });
  }
}

/**
 * An attempt that was not paid goes back to LOCKED (or, with another checkout of the cart opened
 * meanwhile, to EXPIRED: see `unlockAttemptStatement`), giving back its discount uses in the same
 * batch (only if the move happened), after `before` in that batch. A superseded one's stock and
 * balances are closed. `version` null: whichever attempt is pending (a provider's failure event).
 */
export async function unlockAttempt(env: Env, row: repo.CheckoutRow, version: number | null, now: number, before: D1PreparedStatement[] = []): Promise<void> {
  const results = await env.DB.batch([
    ...before,
    repo.unlockAttemptStatement(env.DB, row.id, version, now),
    ...releaseClaimStatements(env.DB, row.id, now, checkoutIn(row.id, ["LOCKED", "EXPIRED"])),
  ]);
  const moved = results[before.length]!.results[0] as { state: string } | undefined;
  if (moved?.state === "EXPIRED") await closeSuperseded(env, [row]);
}

const startInputOf = (row: repo.CheckoutRow, token: string | undefined) => ({
  checkoutId: row.id,
  attemptKey: repo.attemptKeyOf(row.id, row.version),
  amount: amountDue(row),
  currency: row.currency,
  token,
});

/**
 * A PAYMENT_PENDING attempt whose answer the shop never recorded (its request died after the
 * charge, or the customer has not confirmed with the provider yet): the provider is asked what
 * became of it. Paid: recorded and finalized. Not paid: back to LOCKED, uses given back, so the
 * shopper can pay again. The provider cannot say: left as it is for the next try.
 */
export async function recoverPendingPayment(env: Env, row: repo.CheckoutRow, requestId: string | null, now = Date.now()): Promise<"confirmed" | "unlocked" | "unknown"> {
  const provider = configuredProvider(env);
  // A recorded intent is asked about by its id (re-creating it without the token can be refused).
  const pending = await payments.pendingPaymentOfCheckout(env.DB, row.id, provider.name);
  let found: StartResult | null;
  try {
    // Not through the breaker: a lookup is rare, and its success says nothing about charging.
    found = await provider.lookup(startInputOf(row, undefined), pending?.provider_ref);
  } catch (err) {
    createLogger({ requestId }).warn("payment_lookup_failed", { checkoutId: row.id, name: err instanceof Error ? err.name : "unknown" });
    return "unknown";
  }
  if (found?.status === "succeeded") {
    const recorded = await recordCapturedPayment(env, row.id, { provider: provider.name, ref: found.ref, amount: amountDue(row), currency: row.currency }, now);
    await refundNow(env, recorded.refundId, now);
    await finalizeOrDefer(env, row.id, requestId);
    return "confirmed";
  }
  await unlockAttempt(env, row, row.version, now);
  return "unlocked";
}

/** A discount's limit was reached after the cart was priced: the checkout fails, its stock goes back, nothing is charged. */
async function failForDiscount(env: Env, id: string, variantIds: string[], tenders: Tender[], refused: ClaimFailure, now: number): Promise<never> {
  await repo.transition(env.DB, id, ["PAYMENT_PENDING"], "FAILED", now, { failureReason: refused.reason });
  await releaseLines(env, id, variantIds);
  await releaseTenders(env, id, tenders);
  throw codeNoLongerApplies(refused.code, refused.reason);
}

/** Asks the provider to take the money; answers what the customer sees next. */
async function startPayment(env: Env, row: repo.CheckoutRow, provider: PaymentProvider, token: string | undefined, requestId: string | null, now: number, pay: PayContext = { email: null }): Promise<PaymentAnswer> {
  const { id, currency } = row;
  const amount = amountDue(row);
  if (amount === 0) return payWithBalancesOnly(env, row, requestId, now, pay);
  let result: StartResult;
  try {
    // The breaker stops hammering a failing provider: while open, payments fail fast and the shopper retries later.
    result = await outboundBreakers.run(`payment:${provider.name}`, () => provider.start(startInputOf(row, token)));
  } catch (err) {
    // The outcome is unknown (the provider may have charged): the attempt stays PAYMENT_PENDING and
    // the sweep asks the provider about it; the shopper sees a failure to retry later.
    if (!(err instanceof BreakerOpenError)) {
      createLogger({ requestId }).warn("payment_provider_failed", { checkoutId: id, provider: provider.name, name: err instanceof Error ? err.name : "unknown" });
      if ((await recoverPendingPayment(env, row, requestId, now)) === "confirmed") return toCheckout((await repo.findCheckout(env.DB, id))!);
      throw providerUnavailable(err);
    }
    await unlockAttempt(env, row, row.version, now);
    createLogger({ requestId }).warn("payment_provider_failed", { checkoutId: id, provider: provider.name, name: err instanceof Error ? err.name : "unknown" });
    throw providerUnavailable(err);
  }
  if (result.status === "declined") {
    await unlockAttempt(env, row, row.version, now, [
      payments.insertPaymentStatement(env.DB, { id: newId("pay", now), checkoutId: id, provider: provider.name, ref: result.ref, amount, currency, status: "failed", now }),
    ]);
    writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: "payment_declined", subjectId: id });
    throw new AppError("PAYMENT_FAILED", "The payment was declined", 402, { reason: result.reason });
  }
  if (result.status === "requires_confirmation") {
    await payments.insertPaymentStatement(env.DB, { id: newId("pay", now), checkoutId: id, provider: provider.name, ref: result.ref, amount, currency, status: "pending", now }).run();
    return { ...toCheckout({ ...row, state: "PAYMENT_PENDING" }), payment: { clientSecret: result.clientSecret } };
  }
  return recordCapture(env, row, { provider: provider.name, ref: result.ref, amount, currency }, requestId, now, pay);
}

/** A capture the provider confirmed: pay-and-place when this request holds the attempt and its claims, else the two-batch way. */
function recordCapture(env: Env, row: repo.CheckoutRow, confirmation: Confirmation, requestId: string | null, now: number, pay: PayContext): Promise<Checkout> {
  if (pay.claimsHeld && pay.email !== null) return placeCaptured(env, row, confirmation, requestId, now, { ...pay, email: pay.email });
  return recordAndFinalize(env, row, confirmation, requestId, now, pay);
}

/** Recorded as the provider of a checkout its gift cards and store credit pay in full. */
export const BALANCES_ONLY_PROVIDER = "balances";

/**
 * Gift cards and store credit cover the whole total: no provider is called. A zero payment under
 * a name of its own confirms the checkout like any capture, and finalize captures the balances.
 */
async function payWithBalancesOnly(env: Env, row: repo.CheckoutRow, requestId: string | null, now: number, pay: PayContext): Promise<PaymentAnswer> {
  const confirmation = { provider: BALANCES_ONLY_PROVIDER, ref: `balances_${row.id}`, amount: 0, currency: row.currency };
  // Not pay-and-place: no provider holds a record of this "capture", so a request that died after
  // committing could not be recovered by a lookup (it would answer "not paid" and unlock the
  // checkout with its stock sold). Recording first keeps it resumable from PAYMENT_CONFIRMED.
  return recordAndFinalize(env, row, confirmation, requestId, now, pay);
}

/**
 * POST /checkouts/:id/payment for the owner of the checkout. The first batch claims the
 * checkout for this attempt (LOCKED → PAYMENT_PENDING), takes one use of each of its discounts and
 * reads the row, its claims and the customer's email; then the provider; then one batch records
 * the capture and confirms; the commits; one batch places the order. `defer` (the request's
 * waitUntil) takes the order.placed message and the COMPLETED mark off the answer's path.
 */
export async function payCheckout(
  env: Env,
  customerId: string,
  id: string,
  input: PaymentBody,
  requestId: string | null,
  now = Date.now(),
  defer?: (work: Promise<unknown>) => void,
): Promise<PaymentAnswer> {
  const provider = providerForRequest(env, input.provider, requestId);
  const tokenOk = provider.invalidToken(input.token) === null;
  const [claim, , , read, held, email] = await env.DB.batch<Record<string, unknown>>([
    repo.claimForPaymentStatement(env.DB, id, customerId, tokenOk, now),
    ...claimSnapshotStatements(env.DB, id, now),
    repo.findCustomerCheckoutStatement(env.DB, id, customerId),
    heldClaimsStatement(env.DB, id),
    repo.customerEmailStatement(env.DB, customerId),
  ]);
  const row = read!.results[0] as repo.CheckoutRow | undefined;
  if (!row) throw notFound("Checkout");
  // Balances that cover everything need no payment details (the claim above applied the same rule).
  const tokenProblem = amountDue(row) > 0 ? provider.invalidToken(input.token) : null;
  if (tokenProblem) throw validationError([{ path: "token", message: tokenProblem }]);
  const pay: PayContext = { email: (email!.results[0] as { email: string } | undefined)?.email ?? "", defer };
  if (claim!.meta.changes === 1) {
    // All or none: a discount whose limit was reached after the cart was priced fails the checkout before any charge.
    const { lines, discounts } = repo.snapshotOf(row);
    const unheld = firstUnheld(discounts, held!.results as { discountId: string }[]);
    if (unheld) {
      const refused = await refuseClaims(env.DB, id, unheld, now, ["PAYMENT_PENDING"]);
      return failForDiscount(env, id, stockLinesOf(lines).map((l) => l.variantId), tendersOf(row), refused, now);
    }
    return startPayment(env, row, provider, input.token, requestId, now, { ...pay, claimsHeld: true });
  }
  if (row.state === "COMPLETED") return toCheckout(row);
  if (row.state === "PAYMENT_CONFIRMED" || row.state === "ORDER_CREATED") return finalizeOrDefer(env, id, requestId);
  if (row.state === "PAYMENT_PENDING") {
    // A payment the customer confirms with the provider: asking again answers the same client secret.
    if (await payments.pendingPaymentOfCheckout(env.DB, id, provider.name)) return startPayment(env, row, provider, input.token, requestId, now);
    // An attempt whose request went quiet: ask the provider rather than keep the shopper waiting.
    if (row.updated_at < now - QUIET_ATTEMPT_MS && (await recoverPendingPayment(env, row, requestId, now)) === "confirmed") {
      return toCheckout((await repo.findCheckout(env.DB, id))!);
    }
    throw conflict("A payment for this checkout is in progress");
  }
  if (row.state === "LOCKED" && row.expires_at <= now) await expireCheckout(env, row, now);
  if (row.state !== "LOCKED" || row.expires_at <= now) throw invalidState(`Checkout is ${row.state === "LOCKED" ? "EXPIRED" : row.state}`);
  throw conflict("Checkout changed; read it again");
}
