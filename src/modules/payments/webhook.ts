/**
 * Signed payment webhooks (Stripe-compatible events). A succeeded PaymentIntent confirms the
 * checkout named in its metadata and finalizes it; a failed one lets the shopper pay again.
 */
import { z } from "zod";
import { getConfig } from "../../env";
import { AppError } from "../../http/errors";
import { createLogger } from "../../http/logger";
import { confirmPayment, finalizeOrDefer } from "../checkout/payment";
import * as checkouts from "../checkout/repo";
import { refundPayment } from "./refunds";
import * as payments from "./repo";
import { verifySignature } from "./signature";

const PaymentIntentEvent = z.object({
  id: z.string(),
  type: z.string(),
  data: z.object({
    object: z.object({
      id: z.string(),
      amount: z.number().int(),
      currency: z.string(),
      metadata: z.object({ checkoutId: z.string() }).partial().optional(),
    }),
  }),
});

/** Money for a checkout that failed, or a second payment for one already paid, goes back. */
async function refundIfNotTheCheckoutsPayment(env: Env, checkoutId: string, ref: string, now: number) {
  const payment = await payments.paymentByRef(env.DB, "stripe", ref, checkoutId);
  if (payment && payment.is_checkouts !== 1) await refundPayment(env, payment, now);
}

const refused = (message: string) => new AppError("VALIDATION_ERROR", message, 400);

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
  const event = PaymentIntentEvent.safeParse(json);
  if (!event.success) return { received: true, handled: false };
  const intent = event.data.data.object;
  const checkoutId = intent.metadata?.checkoutId;
  const row = checkoutId ? await checkouts.findCheckout(env.DB, checkoutId) : null;
  if (!row) return { received: true, handled: false };
  const logger = createLogger({ requestId });
  if (event.data.type === "payment_intent.succeeded") {
    const { totals } = checkouts.snapshotOf(row);
    if (intent.amount !== totals.total || intent.currency.toUpperCase() !== row.currency) {
      logger.error("webhook_amount_mismatch", { checkoutId: row.id, eventId: event.data.id });
      return { received: true, handled: false };
    }
    if (!(await confirmPayment(env, row.id, { provider: "stripe", ref: intent.id, amount: intent.amount, currency: row.currency }, now))) {
      await refundIfNotTheCheckoutsPayment(env, row.id, intent.id, now);
    }
    await finalizeOrDefer(env, row.id, requestId);
    return { received: true, handled: true };
  }
  if (event.data.type === "payment_intent.payment_failed") {
    await checkouts.transition(env.DB, row.id, ["PAYMENT_PENDING"], "LOCKED", now);
    return { received: true, handled: true };
  }
  return { received: true, handled: false };
}
