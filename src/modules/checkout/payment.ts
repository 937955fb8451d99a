/**
 * Paying a checkout: LOCKED → PAYMENT_PENDING → charge → PAYMENT_CONFIRMED → finalize. A decline
 * returns the checkout to LOCKED with its stock still held, so the shopper can retry.
 */
import { AppError, conflict, invalidState, notFound } from "../../http/errors";
import { createLogger } from "../../http/logger";
import { newId } from "../../lib/ids";
import { getProvider } from "../payments/provider";
import { releaseLines, stockLinesOf } from "../inventory/service";
import { claimDiscounts, releaseDiscounts, type ClaimFailure } from "./discount-claims";
import { finalizeCheckout } from "./finalize";
import * as repo from "./repo";
import type { Checkout, PaymentBody } from "./schemas";
import { codeNoLongerApplies, expireCheckout, toCheckout } from "./service";
import { writeBusinessEvent } from "../analytics/events";
import { BreakerOpenError } from "../../lib/circuit-breaker";
import { outboundBreakers } from "../outbound/breakers";

export type Confirmation = { provider: string; ref: string; amount: number; currency: string };

/** Records a captured payment and moves the checkout to PAYMENT_CONFIRMED (from LOCKED or PAYMENT_PENDING). */
export async function confirmPayment(env: Env, checkoutId: string, payment: Confirmation, now = Date.now()): Promise<boolean> {
  const id = newId("pay", now);
  const [, moved] = await env.DB.batch([
    repo.insertPaymentStatement(env.DB, { id, checkoutId, ...payment, status: "succeeded", now }),
    repo.transitionStatement(env.DB, checkoutId, ["LOCKED", "PAYMENT_PENDING", "EXPIRED"], "PAYMENT_CONFIRMED", now, { paymentId: id }),
  ]);
  return moved!.meta.changes === 1;
}

/** Runs finalize now; if it fails the cron sweep resumes it, so the answer is the current state. */
export async function finalizeOrDefer(env: Env, checkoutId: string, requestId: string | null): Promise<Checkout> {
  try {
    const row = await finalizeCheckout(env, checkoutId, { requestId });
    if (row) return toCheckout(row);
  } catch (err) {
    createLogger({ requestId }).error("finalize_deferred", { checkoutId, name: err instanceof Error ? err.name : "unknown" });
  }
  return toCheckout((await repo.findCheckout(env.DB, checkoutId))!);
}

/** A provider that is down (or whose circuit is open) is a failed payment the shopper can retry, never a 5xx. */
function providerUnavailable(err: unknown): AppError {
  const retryAfterSeconds = err instanceof BreakerOpenError ? Math.max(1, Math.ceil(err.retryInMs / 1000)) : 30;
  return new AppError("PAYMENT_FAILED", "The payment provider is unavailable; try again shortly", 402, {
    reason: "provider_unavailable",
    retryAfterSeconds,
  });
}

/** A discount's limit was reached after the cart was priced: the checkout fails, its stock goes back, nothing is charged. */
async function failForDiscount(env: Env, id: string, variantIds: string[], refused: ClaimFailure, now: number): Promise<never> {
  await repo.transition(env.DB, id, ["PAYMENT_PENDING"], "FAILED", now, { failureReason: refused.reason });
  await releaseLines(env, id, variantIds);
  throw codeNoLongerApplies(refused.code, refused.reason);
}

/** Charges a PAYMENT_PENDING checkout; a decline or a provider fault gives its discount uses back and returns it to LOCKED. */
async function charge(env: Env, row: repo.CheckoutRow, input: PaymentBody, now: number): Promise<void> {
  const { id, currency } = row;
  const amount = repo.snapshotOf(row).totals.total;
  const provider = getProvider(env, input.provider);
  let result;
  try {
    // The breaker stops hammering a failing provider: while open, charges fail fast and the shopper retries later.
    result = await outboundBreakers.run(`payment:${provider.name}`, () => provider.charge({ checkoutId: id, amount, currency, token: input.token }));
  } catch (err) {
    // Uses are given back while the checkout is still PAYMENT_PENDING, so no retry can slip in between.
    await releaseDiscounts(env.DB, id, now);
    await repo.transition(env.DB, id, ["PAYMENT_PENDING"], "LOCKED", now);
    createLogger().warn("payment_provider_failed", { checkoutId: id, provider: provider.name, name: err instanceof Error ? err.name : "unknown" });
    throw providerUnavailable(err);
  }
  if (!result.ok) {
    await releaseDiscounts(env.DB, id, now);
    await env.DB.batch([
      repo.insertPaymentStatement(env.DB, { id: newId("pay", now), checkoutId: id, provider: provider.name, ref: result.ref, amount, currency, status: "failed", now }),
      repo.transitionStatement(env.DB, id, ["PAYMENT_PENDING"], "LOCKED", now),
    ]);
    writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: "payment_declined", subjectId: id });
    throw new AppError("PAYMENT_FAILED", "The payment was declined", 402, { reason: result.reason });
  }
  await confirmPayment(env, id, { provider: provider.name, ref: result.ref, amount, currency }, now);
}

/** POST /checkouts/:id/payment for the owner of the checkout. */
export async function payCheckout(env: Env, customerId: string, id: string, input: PaymentBody, requestId: string | null, now = Date.now()): Promise<Checkout> {
  const row = await repo.findCustomerCheckout(env.DB, id, customerId);
  if (!row) throw notFound("Checkout");
  if (row.state === "COMPLETED") return toCheckout(row);
  if (row.state === "PAYMENT_CONFIRMED" || row.state === "ORDER_CREATED") return finalizeOrDefer(env, id, requestId);
  if (row.state === "PAYMENT_PENDING") throw conflict("A payment for this checkout is in progress");
  if (row.state === "LOCKED" && row.expires_at <= now) await expireCheckout(env, row, now);
  if (row.state !== "LOCKED" || row.expires_at <= now) throw invalidState(`Checkout is ${row.state === "LOCKED" ? "EXPIRED" : row.state}`);
  if (!(await repo.claimForPayment(env.DB, id, now))) throw conflict("Checkout changed; read it again");

  const { lines, discounts } = repo.snapshotOf(row);
  const refused = await claimDiscounts(env.DB, { id, customerId: row.customer_id }, discounts, now);
  if (refused) return failForDiscount(env, id, stockLinesOf(lines).map((l) => l.variantId), refused, now);
  await charge(env, row, input, now);
  return finalizeOrDefer(env, id, requestId);
}
