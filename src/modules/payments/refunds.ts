/** Giving money back through the provider that took it; the payment row records the outcome. */
import { getProvider } from "./provider";
import * as repo from "./repo";

/** Refunds a succeeded payment once (a refunded row is left alone). */
export async function refundPayment(env: Env, payment: repo.PaymentRow | null, now = Date.now()): Promise<boolean> {
  if (!payment || payment.status !== "succeeded") return false;
  if (!(await getProvider(env, payment.provider).refund(payment.provider_ref, payment.amount)).ok) return false;
  await repo.markRefunded(env.DB, payment.id, now);
  return true;
}
