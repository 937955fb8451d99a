/**
 * Canceling a payment the customer has not confirmed yet, once nothing can count it any more (a
 * superseded checkout, one paid otherwise, a rejected return). Without this the customer could still pay
 * it, and the shop would have to refund money it never wanted, paying the provider's fee.
 */
import { createLogger } from "../../lib/log";
import { providerOfPayment } from "./provider";
import * as repo from "./repo";

/**
 * Asks the payment's provider to cancel it. `canceled`: the row is marked and nothing more can be
 * paid. `succeeded`: the customer paid first; the caller records that capture as it records any
 * it did not expect (and so refunds it). `unknown`: the provider could not say; the row goes to
 * the back of the sweep's line, to be asked about again.
 */
export async function cancelOpenPayment(env: Env, payment: repo.PaymentRow, now = Date.now()): Promise<"canceled" | "succeeded" | "unknown"> {
  try {
    const result = await providerOfPayment(env, payment.provider).cancel(payment.provider_ref);
    if (result.status === "succeeded") return "succeeded";
    await repo.canceledPaymentStatement(env.DB, payment.id, now).run();
    return "canceled";
  } catch (err) {
    createLogger({ paymentId: payment.id }).warn("payment_cancel_failed", { name: err instanceof Error ? err.name : "unknown" });
    await repo.touchPendingPaymentStatement(env.DB, payment.id, now).run();
    return "unknown";
  }
}
