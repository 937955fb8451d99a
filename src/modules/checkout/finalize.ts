/**
 * Finalize: commit each reservation, write the order and everything around it in one D1 batch,
 * publish order.placed. Idempotent and resumable from any step (the cron sweep calls it again).
 */
import { createLogger } from "../../http/logger";
import { commitLines, releaseLines, restockLines, stockLinesOf } from "../inventory/service";
import { orderIdFor, placementStatements } from "../orders/placement";
import { getProvider } from "../payments/provider";
import { claimDiscounts, releaseDiscounts } from "./discount-claims";
import * as repo from "./repo";

async function customerEmail(d1: D1Database, customerId: string): Promise<string> {
  const row = await d1.prepare("SELECT email FROM users WHERE id = ?").bind(customerId).first<{ email: string }>();
  return row?.email ?? "";
}

/**
 * Paid, but the order cannot be made (stock lapsed and was sold, or — for a payment confirmed by
 * webhook without the claim step — a discount's limit was reached): the checkout fails, its stock
 * and discount uses go back, and the money is refunded.
 */
async function failAfterPayment(env: Env, row: repo.CheckoutRow, reason: string, stock: "restock" | "release", now: number) {
  if (!(await repo.transition(env.DB, row.id, ["PAYMENT_CONFIRMED"], "FAILED", now, { failureReason: reason }))) return;
  await releaseDiscounts(env.DB, row.id, now);
  const variantIds = stockLinesOf(repo.snapshotOf(row).lines).map((l) => l.variantId);
  await (stock === "restock" ? restockLines(env, row.id, variantIds) : releaseLines(env, row.id, variantIds));
  const payment = await env.DB.prepare("SELECT provider, provider_ref, amount FROM payments WHERE id = ?").bind(row.payment_id).first<{ provider: string; provider_ref: string; amount: number }>();
  if (payment && (await getProvider(env, payment.provider).refund(payment.provider_ref, payment.amount)).ok) {
    await env.DB.prepare("UPDATE payments SET status = 'refunded', updated_at = ? WHERE id = ?").bind(now, row.payment_id).run();
  }
  createLogger().error("checkout_failed_after_payment", { checkoutId: row.id, reason });
}

/** Publishes order.placed, then completes the checkout (at least once: consumers dedupe on orderId). */
async function publish(env: Env, row: repo.CheckoutRow, requestId: string | null, now: number) {
  const orderId = row.order_id ?? orderIdFor(row.id);
  await env.ORDER_EVENTS.send({ type: "order.placed", orderId, requestId });
  await repo.transition(env.DB, row.id, ["ORDER_CREATED"], "COMPLETED", now);
}

/** Drives a paid checkout to COMPLETED; does nothing for checkouts in other states. */
export async function finalizeCheckout(env: Env, checkoutId: string, ctx: { requestId: string | null }, now = Date.now()): Promise<string> {
  let row = await repo.findCheckout(env.DB, checkoutId);
  if (!row) return "missing";
  if (row.state === "PAYMENT_CONFIRMED") {
    const snapshot = repo.snapshotOf(row);
    // Normally a no-op: the payment step claimed the uses before charging.
    const refused = await claimDiscounts(env.DB, { id: row.id, customerId: row.customer_id }, snapshot.discounts, now);
    if (refused) {
      await failAfterPayment(env, row, refused.reason, "release", now);
      return "failed";
    }
    const failed = await commitLines(env, row.id, stockLinesOf(snapshot.lines));
    if (failed.length > 0) {
      await failAfterPayment(env, row, "stock_lost_after_payment", "restock", now);
      return "failed";
    }
    await env.DB.batch(placementStatements(env.DB, row, await customerEmail(env.DB, row.customer_id), ctx.requestId, now));
    row = (await repo.findCheckout(env.DB, checkoutId))!;
  }
  if (row.state === "ORDER_CREATED") {
    await publish(env, row, ctx.requestId, now);
    return "completed";
  }
  return row.state;
}
