/**
 * Finalize: commit each reservation, write the order and everything around it in one D1 batch,
 * publish order.placed. Idempotent and resumable from any step (the cron sweep calls it again).
 */
import { createLogger } from "../../http/logger";
import { commitLines, releaseLines, restockLines, stockLinesOf } from "../inventory/service";
import { orderIdFor, placementStatements } from "../orders/placement";
import { refundPayment } from "../payments/refunds";
import { findPayment } from "../payments/repo";
import { claimDiscounts, releaseDiscounts } from "./discount-claims";
import * as repo from "./repo";
import { writeBusinessEvent } from "../analytics/events";

/**
 * Paid, but the order cannot be made (stock lapsed and was sold, or — for a payment confirmed by
 * webhook without the claim step — a discount's limit was reached): the checkout fails, its stock
 * and discount uses go back, and the money is refunded.
 */
async function failAfterPayment(env: Env, row: repo.CheckoutRow, reason: string, stock: "restock" | "release", now: number) {
  if (!(await repo.transition(env.DB, row.id, ["PAYMENT_CONFIRMED"], "FAILED", now, { failureReason: reason }))) return;
  writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: reason, subjectId: row.id });
  await releaseDiscounts(env.DB, row.id, now);
  const variantIds = stockLinesOf(repo.snapshotOf(row).lines).map((l) => l.variantId);
  await (stock === "restock" ? restockLines(env, row.id, variantIds) : releaseLines(env, row.id, variantIds));
  await refundPayment(env, await findPayment(env.DB, row.payment_id), now);
  createLogger().error("checkout_failed_after_payment", { checkoutId: row.id, reason });
}

/** Publishes order.placed, then completes the checkout (at least once: consumers dedupe on orderId). */
async function publish(env: Env, row: repo.CheckoutRow, requestId: string | null, now: number): Promise<repo.CheckoutRow> {
  const orderId = row.order_id ?? orderIdFor(row.id);
  await env.ORDER_EVENTS.send({ type: "order.placed", orderId, requestId });
  const done = await repo.transition(env.DB, row.id, ["ORDER_CREATED"], "COMPLETED", now);
  return done ? { ...row, state: "COMPLETED", order_id: orderId } : ((await repo.findCheckout(env.DB, row.id)) ?? row);
}

/** Drives a paid checkout to COMPLETED and answers its latest row; checkouts in other states are left as they are. */
export async function finalizeCheckout(env: Env, checkoutId: string, ctx: { requestId: string | null }, now = Date.now()): Promise<repo.CheckoutRow | null> {
  let row = await repo.findCheckout(env.DB, checkoutId);
  if (!row) return null;
  if (row.state === "PAYMENT_CONFIRMED") {
    const snapshot = repo.snapshotOf(row);
    // Normally a no-op: the payment step claimed the uses before charging.
    const refused = await claimDiscounts(env.DB, { id: row.id, customerId: row.customer_id }, snapshot.discounts, now);
    if (refused) {
      await failAfterPayment(env, row, refused.reason, "release", now);
      return repo.findCheckout(env.DB, checkoutId);
    }
    const failed = await commitLines(env, row.id, stockLinesOf(snapshot.lines));
    if (failed.length > 0) {
      await failAfterPayment(env, row, "stock_lost_after_payment", "restock", now);
      return repo.findCheckout(env.DB, checkoutId);
    }
    const results = await env.DB.batch(placementStatements(env.DB, row, await repo.customerEmail(env.DB, row.customer_id), ctx.requestId, now));
    // The batch's last statement is the conditional move to ORDER_CREATED; if another run won, read what it did.
    const moved = results.at(-1)?.meta.changes === 1;
    row = moved ? { ...row, state: "ORDER_CREATED", order_id: orderIdFor(row.id) } : (await repo.findCheckout(env.DB, checkoutId))!;
  }
  return row.state === "ORDER_CREATED" ? publish(env, row, ctx.requestId, now) : row;
}
