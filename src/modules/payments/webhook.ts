/**
 * Signed payment webhooks (Stripe-compatible events). A succeeded PaymentIntent is recorded and
 * either confirms the checkout named in its metadata (then finalize makes the order or a refund)
 * or, when the checkout cannot count it, is refunded; a failed one lets the shopper pay again; an
 * updated refund is checked again at once. The answer is 200 only once the outcome is recorded
 * (a refund still to be confirmed is recorded: the sweep retries it), so the provider redelivers
 * anything we did not take.
 */
import * as z from "zod";
import { getConfig } from "../../env";
import { AppError } from "../../lib/errors";
import { createLogger } from "../../lib/log";
import { newId } from "../../lib/ids";
import { finalizeOrDefer, recordCapturedPayment, refundNow, unlockAttempt } from "../checkout/payment";
import * as checkouts from "../checkout/repo";
import { amountDue } from "../gift-cards/tenders";
import { differencePaymentFailed, recordDifferencePayment } from "../returns/difference";
import { returnIdOfExchangeKey } from "../returns/keys";
import * as payments from "./repo";
import { verifySignature } from "./signature";

const Event = z.object({ id: z.string(), type: z.string(), data: z.object({ object: z.unknown() }) });
const PaymentIntent = z.object({
  id: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  metadata: z.object({ checkoutId: z.string() }).partial().optional(),
});
const Refund = z.object({ id: z.string(), status: z.string().optional(), metadata: z.object({ refundId: z.string() }).partial().optional() });

const PROVIDER = "stripe";
const refused = (message: string) => new AppError("VALIDATION_ERROR", message, 400);
const ignored = { received: true, handled: false } as const;
const handled = { received: true, handled: true } as const;

/** Verifies and applies one webhook delivery; redelivery of the same event has no further effect. */
export async function handlePaymentWebhook(env: Env, signature: string | undefined, rawBody: string, requestId: string | null, now = Date.now()) {
  const secret = getConfig(env).PAYMENT_WEBHOOK_SECRET;
  if (!secret) throw new AppError("INTERNAL", "Payment webhooks are not configured", 500);
  const verdict = await verifySignature(secret, signature, rawBody, now);
  if (verdict !== "ok") throw refused(verdict === "stale" ? "Webhook timestamp outside the tolerance window" : "Invalid webhook signature");
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw refused("Webhook body is not JSON");
  }
  const event = Event.safeParse(json);
  if (!event.success) return ignored;
  const logger = createLogger({ requestId, eventId: event.data.id.slice(0, 64) });
  if (event.data.type === "refund.updated") return refundUpdated(env, event.data.data.object, now);
  const intent = PaymentIntent.safeParse(event.data.data.object);
  if (!intent.success) return ignored;
  const checkoutId = intent.data.metadata?.checkoutId;
  // The price difference of an exchange is paid under the exchange key instead of a checkout id.
  const returnId = checkoutId ? returnIdOfExchangeKey(checkoutId) : null;
  if (returnId) return differenceEvent(env, event.data.type, returnId, intent.data, now);
  const row = checkoutId ? await checkouts.findCheckout(env.DB, checkoutId) : null;
  if (!row) {
    if (event.data.type === "payment_intent.succeeded") logger.error("webhook_payment_without_checkout", { intentId: intent.data.id });
    return ignored;
  }
  if (event.data.type === "payment_intent.succeeded") return paymentSucceeded(env, row, intent.data, requestId, now);
  if (event.data.type === "payment_intent.payment_failed") {
    // The attempt failed; the customer may try again. Uses go back with the move, only if it happened.
    await unlockAttempt(env, row, null, now, [payments.failedPaymentStatement(env.DB, PROVIDER, intent.data.id, now)]);
    return handled;
  }
  return ignored;
}

async function paymentSucceeded(env: Env, row: checkouts.CheckoutRow, intent: z.infer<typeof PaymentIntent>, requestId: string | null, now: number) {
  const confirmation = { provider: PROVIDER, ref: intent.id, amount: intent.amount, currency: intent.currency.toUpperCase() };
  // The provider charges what the checkout's gift cards and store credit leave.
  if (intent.amount !== amountDue(row) || confirmation.currency !== row.currency) {
    // Money was taken, but not the amount this checkout charges: it cannot pay for the order, so it goes back.
    createLogger({ requestId }).error("webhook_amount_mismatch", { checkoutId: row.id, intentId: intent.id });
    const refundId = newId("rfd", now);
    const [, refund] = await env.DB.batch([
      payments.capturedPaymentStatement(env.DB, { id: newId("pay", now), checkoutId: row.id, ...confirmation, now }),
      payments.refundUnownedPaymentStatement(env.DB, refundId, PROVIDER, intent.id, now),
    ]);
    await refundNow(env, refund!.meta.changes === 1 ? refundId : null, now);
    return handled;
  }
  const recorded = await recordCapturedPayment(env, row.id, confirmation, now);
  await refundNow(env, recorded.refundId, now);
  await finalizeOrDefer(env, row.id, requestId);
  return handled;
}

async function differenceEvent(env: Env, type: string, returnId: string, intent: z.infer<typeof PaymentIntent>, now: number) {
  if (type === "payment_intent.succeeded") {
    // Paid, or refunded at once when the return cannot count it.
    await recordDifferencePayment(env, returnId, { provider: PROVIDER, ref: intent.id, amount: intent.amount, currency: intent.currency.toUpperCase() }, now);
    return handled;
  }
  if (type === "payment_intent.payment_failed") {
    await differencePaymentFailed(env, returnId, PROVIDER, intent.id, now);
    return handled;
  }
  return ignored;
}

/** The provider changed a refund (e.g. an asynchronous one succeeded): ask about it now instead of at its next retry. */
async function refundUpdated(env: Env, object: unknown, now: number) {
  const refund = Refund.safeParse(object);
  const refundId = refund.success ? refund.data.metadata?.refundId : undefined;
  if (!refundId) return ignored;
  const row = await payments.findRefund(env.DB, refundId);
  if (row?.status !== "pending") return ignored;
  await payments.rescheduleRefund(env.DB, row.id, { nextAttemptAt: now, lastError: null, providerRef: refund.data!.id }, now);
  await refundNow(env, row.id, now);
  return handled;
}
