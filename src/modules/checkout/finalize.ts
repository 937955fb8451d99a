/**
 * Finalize: commit each reservation, write the order and everything around it in one D1 batch,
 * publish order.placed. Idempotent and resumable from any step (the cron sweep calls it again).
 *
 * A paid checkout ends in exactly one of two facts: an order (ORDER_CREATED → COMPLETED), or a
 * refund the provider confirmed (REFUND_PENDING → REFUNDED). Each is written in the same batch as
 * the state that records it.
 */
import { createLogger } from "../../lib/log";
import { newId } from "../../lib/ids";
import { writeBusinessEvent } from "../analytics/events";
import { captureTenders, closeTenders, tendersOf } from "../gift-cards/tenders";
import { closeLines, commitLines, stockLinesOf } from "../inventory/service";
import { orderIdFor, placementStatements } from "../orders/placement";
import { attemptRefund } from "../payments/refunds";
import * as payments from "../payments/repo";
import { checkoutIn, claimDiscounts, firstUnheld, releaseClaimStatements } from "./discount-claims";
import * as repo from "./repo";

const variantIdsOf = (row: repo.CheckoutRow) => stockLinesOf(repo.snapshotOf(row).lines).map((l) => l.variantId);

/**
 * Paid, but the order cannot be made (stock lapsed and was sold, or a discount's limit was
 * reached after a late payment). One batch moves the checkout to REFUND_PENDING, gives back its
 * discount uses and writes the refund; then its stock goes back for good and the refund is tried.
 * A refund that fails stays pending for the sweep — the money is never forgotten.
 */
async function failAfterPayment(env: Env, row: repo.CheckoutRow, reason: string, now: number) {
  const [moved] = await env.DB.batch([
    repo.transitionStatement(env.DB, row.id, ["PAYMENT_CONFIRMED"], "REFUND_PENDING", now, { failureReason: reason }),
    ...releaseClaimStatements(env.DB, row.id, now, checkoutIn(row.id, ["REFUND_PENDING"])),
    payments.refundCheckoutPaymentStatement(env.DB, newId("rfd", now), row.id, reason, now),
  ]);
  if (moved!.meta.changes === 1) {
    writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: reason, subjectId: row.id });
    createLogger().error("checkout_failed_after_payment", { checkoutId: row.id, reason });
  }
  return settleRefundPendingCheckout(env, row.id, now);
}

/**
 * A REFUND_PENDING checkout: its holds are closed (stock back, and no late finalize can sell to
 * it), its refund is tried when due, and it becomes REFUNDED once the provider confirmed. Safe to
 * run any number of times, from the request, the webhook or the sweep.
 */
export async function settleRefundPendingCheckout(env: Env, checkoutId: string, now = Date.now()): Promise<repo.CheckoutRow | null> {
  const row = await repo.findCheckout(env.DB, checkoutId);
  if (row?.state !== "REFUND_PENDING") return row;
  await closeLines(env, row.id, variantIdsOf(row));
  await closeTenders(env, row.id, tendersOf(row));
  const refund = await payments.refundOfPayment(env.DB, row.payment_id);
  if (refund?.status === "pending") await attemptRefund(env, refund.id, now);
  if (await repo.closeRefundedCheckout(env.DB, row.id, now)) return { ...row, state: "REFUNDED" };
  return repo.findCheckout(env.DB, checkoutId);
}

/** Publishes order.placed, then completes the checkout (at least once: consumers dedupe on orderId). */
async function publish(env: Env, row: repo.CheckoutRow, requestId: string | null, now: number): Promise<repo.CheckoutRow> {
  const orderId = row.order_id ?? orderIdFor(row.id);
  await env.ORDER_EVENTS.send({ type: "order.placed", orderId, requestId });
  const done = await repo.transition(env.DB, row.id, ["ORDER_CREATED"], "COMPLETED", now);
  return done ? { ...row, state: "COMPLETED", order_id: orderId } : ((await repo.findCheckout(env.DB, row.id)) ?? row);
}

/**
 * What the payment request already read, so finalize does not read it again: the row as
 * confirmed, the discounts it holds a use of (read in the same batch, so a PAYMENT_CONFIRMED row's
 * claims are final), the customer's email.
 */
export type FinalizeStart = { row: repo.CheckoutRow; heldDiscountIds: string[]; email: string };

export type FinalizeContext = {
  requestId: string | null;
  start?: FinalizeStart;
  /**
   * Runs work after the answer (the request's waitUntil). Given, the order.placed message and the
   * COMPLETED mark run there once the order is written, and the answer says COMPLETED; if the
   * isolate stops first the checkout stays ORDER_CREATED and resume_paid_checkouts completes it.
   */
  defer?: (work: Promise<unknown>) => void;
};

/** Drives a paid checkout to COMPLETED (or a refund) and answers its latest row; checkouts in other states are left as they are. */
export async function finalizeCheckout(env: Env, checkoutId: string, ctx: FinalizeContext, now = Date.now()): Promise<repo.CheckoutRow | null> {
  const start = ctx.start?.row.id === checkoutId ? ctx.start : undefined;
  let row = start?.row ?? (await repo.findCheckout(env.DB, checkoutId));
  if (!row) return null;
  if (row.state === "PAYMENT_CONFIRMED") {
    const snapshot = repo.snapshotOf(row);
    // Normally a no-op: the payment step claimed the uses before charging. A late payment for an
    // expired checkout claims them here, and a use taken meanwhile by someone else refuses it.
    const allHeld = start !== undefined && firstUnheld(snapshot.discounts, start.heldDiscountIds.map((discountId) => ({ discountId }))) === null;
    const refused = allHeld ? null : await claimDiscounts(env.DB, { id: row.id, customerId: row.customer_id }, snapshot.discounts, now, ["PAYMENT_CONFIRMED"]);
    if (refused) return failAfterPayment(env, row, refused.reason, now);
    const failed = await commitLines(env, row.id, stockLinesOf(snapshot.lines));
    if (failed.length > 0) return failAfterPayment(env, row, "stock_lost_after_payment", now);
    // Gift cards and store credit: each hold becomes a capture (a lapsed one takes what is still free).
    if (!(await captureTenders(env, row.id, tendersOf(row)))) return failAfterPayment(env, row, "balance_lost_after_payment", now);
    const email = start?.email ?? (await repo.customerEmail(env.DB, row.customer_id));
    const results = await env.DB.batch(placementStatements(env.DB, row, email, ctx.requestId, now));
    // The batch's last statement is the conditional move to ORDER_CREATED; if another run won, read what it did.
    const moved = results.at(-1)?.meta.changes === 1;
    row = moved ? { ...row, state: "ORDER_CREATED", order_id: orderIdFor(row.id) } : (await repo.findCheckout(env.DB, checkoutId))!;
  }
  if (row.state === "ORDER_CREATED") {
    if (!ctx.defer) return publish(env, row, ctx.requestId, now);
    const written = row;
    ctx.defer(
      publish(env, written, ctx.requestId, now).catch((err: unknown) =>
        createLogger({ requestId: ctx.requestId }).warn("publish_deferred_failed", { checkoutId: written.id, name: err instanceof Error ? err.name : "unknown" }),
      ),
    );
    return { ...row, state: "COMPLETED", order_id: row.order_id ?? orderIdFor(row.id) };
  }
  // Another run decided the checkout cannot be an order: make sure nothing this run sold stays sold.
  if (row.state === "REFUND_PENDING") return settleRefundPendingCheckout(env, row.id, now);
  return row;
}
