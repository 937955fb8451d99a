/**
 * Finalize: commit each reservation, write the order and everything around it in one D1 batch,
 * publish order.placed. Idempotent and resumable from any step (the cron sweep calls it again).
 */
import { createLogger } from "../../http/logger";
import { commitLines, restockLines } from "../inventory/service";
import { orderIdFor, placementStatements } from "../orders/placement";
import { refundPayment } from "../payments/refunds";
import { findPayment } from "../payments/repo";
import * as repo from "./repo";
import { writeBusinessEvent } from "../analytics/events";

/** Stock that lapsed and was sold to someone else: the checkout fails and the money goes back. */
async function failAfterPayment(env: Env, row: repo.CheckoutRow, now: number) {
  if (!(await repo.transition(env.DB, row.id, ["PAYMENT_CONFIRMED"], "FAILED", now, { failureReason: "stock_lost_after_payment" }))) return;
  writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: "stock_lost_after_payment", subjectId: row.id });
  await restockLines(env, row.id, repo.snapshotOf(row).lines.map((l) => l.variantId));
  await refundPayment(env, await findPayment(env.DB, row.payment_id), now);
  createLogger().error("checkout_failed_after_payment", { checkoutId: row.id });
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
    const failed = await commitLines(env, row.id, repo.snapshotOf(row).lines);
    if (failed.length > 0) {
      await failAfterPayment(env, row, now);
      return repo.findCheckout(env.DB, checkoutId);
    }
    const results = await env.DB.batch(placementStatements(env.DB, row, await repo.customerEmail(env.DB, row.customer_id), ctx.requestId, now));
    // The batch's last statement is the conditional move to ORDER_CREATED; if another run won, read what it did.
    const moved = results.at(-1)?.meta.changes === 1;
    row = moved ? { ...row, state: "ORDER_CREATED", order_id: orderIdFor(row.id) } : (await repo.findCheckout(env.DB, checkoutId))!;
  }
  return row.state === "ORDER_CREATED" ? publish(env, row, ctx.requestId, now) : row;
}
