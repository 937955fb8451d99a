/**
 * Receiving a return: the goods are back. One D1 batch fixes the refund and writes every part of
 * it with the state — the provider refund (a `refunds` row, dedupe `return:<id>`, never more than
 * the payment has left), the give-backs to gift cards and store credit that paid, or new store
 * credit — each only if it still fits, and the move to `received` only if every part was written
 * (else the parts are removed: the request answers 409 and may be retried). Then settlement puts
 * the units back on hand (when asked), credits the balances and tries the refund; `refunded` once
 * the provider confirmed and every balance was credited. A dropped exchange whose price difference
 * was paid gives that payment back in full, confirmed the same way before `refunded`. The cron
 * task and the refund retries finish a settlement a crash or a failing provider interrupted;
 * every step is idempotent.
 */
import { conflict, invalidState, notFound } from "../../lib/errors";
import { createLogger } from "../../lib/log";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import { storeCreditAccount, withBalance } from "../gift-cards/balances";
import { creditStoreCredit } from "../gift-cards/service";
import { tendersOf } from "../gift-cards/tenders";
import { returnUnitsOf, stockLinesOf } from "../inventory/service";
import { enqueuePendingEmail } from "../notifications/service";
import { attemptRefund } from "../payments/refunds";
import * as payments from "../payments/repo";
import { requestDispatch, webhookEventStatements } from "../webhooks";
import { allocateRefund, type Allocation } from "./amounts";
import { dropExchange, exchangeOrderIdOf, exchangeOrderStatements, sellExchange } from "./exchange";
import * as repo from "./repo";

export type ReceiveInput = { restock: boolean; refundTo?: "original" | "store_credit"; requestId: string | null };

type Facts = { ret: repo.ReturnRow; order: NonNullable<Awaited<ReturnType<typeof repo.orderFacts>>>["order"]; checkoutId: string };

/** Where this return's refund goes, from what the payment and the balances that paid have left. */
async function allocate(env: Env, facts: Facts, amount: number, to: "original" | "store_credit"): Promise<{ allocation: Allocation; captured: Map<string, number> }> {
  const [paymentLeft, checkout, givenBack] = await Promise.all([
    payments.unrefundedOfOrder(env.DB, facts.order.id),
    repo.checkoutLinesOf(env.DB, facts.checkoutId),
    repo.givenBackByAccount(env.DB, facts.checkoutId),
  ]);
  const tenders = tendersOf(checkout ?? {});
  const balances = tenders.map((t) => ({ accountId: t.accountId, left: t.amount - (givenBack.get(t.accountId) ?? 0) }));
  const allocation = allocateRefund(amount, to, { payment: paymentLeft, balances });
  // Returns never refund more than the order took; anything over means another refund got there first.
  if (to === "original" && allocation.credit > 0) throw conflict("The order has less left to refund than this return; check its refunds", { unallocated: allocation.credit });
  return { allocation, captured: new Map(tenders.map((t) => [t.accountId, t.amount])) };
}

function receiptStatements(env: Env, facts: Facts, { allocation, captured }: { allocation: Allocation; captured: Map<string, number> }, plan: { refundId: string; differenceRefundId: string; amount: number; exchangeKept: boolean; restock: boolean; to: string; requestId: string | null; now: number }) {
  const d1 = env.DB;
  const { ret, order } = facts;
  const approved = { sql: "EXISTS (SELECT 1 FROM returns WHERE id = ? AND status = 'approved' AND version = ?)", args: [ret.id, ret.version] };
  const received = { sql: "EXISTS (SELECT 1 FROM returns WHERE id = ? AND status = 'received' AND version = ?)", args: [ret.id, ret.version + 1] };
  // A give-back fits only in what the balance paid for this order less what returns already give back to it.
  const balanceInsert = (kind: "give_back" | "credit", accountId: string, amount: number) =>
    d1
      .prepare(
        `INSERT INTO balance_refunds (id, return_id, account_id, kind, checkout_id, amount, currency, status, created_at, updated_at)
         SELECT ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ? WHERE ${approved.sql}
           AND (? = 'credit' OR ? <= ? - (SELECT COALESCE(SUM(amount), 0) FROM balance_refunds WHERE checkout_id = ? AND account_id = ? AND kind = 'give_back'))`,
      )
      .bind(newId("brf", plan.now), ret.id, accountId, kind, facts.checkoutId, amount, ret.currency, plan.now, plan.now, ...approved.args, kind, amount, captured.get(accountId) ?? 0, facts.checkoutId, accountId);
  const parts = [
    ...(allocation.payment > 0
      ? [payments.refundPartOfOrderPaymentStatement(d1, { refundId: plan.refundId, orderId: order.id, amount: allocation.payment, reason: "return", dedupeKey: `return:${ret.id}`, now: plan.now, onlyIf: approved })]
      : []),
    ...allocation.balances.map((b) => balanceInsert("give_back", b.accountId, b.amount)),
    ...(allocation.credit > 0 ? [balanceInsert("credit", storeCreditAccount(ret.customer_id, ret.currency), allocation.credit)] : []),
  ];
  const expectedBalances = allocation.balances.length + (allocation.credit > 0 ? 1 : 0);
  const exchangeItems = plan.exchangeKept ? ret.exchange_items : "[]";
  const exchangeAmount = plan.exchangeKept ? ret.exchange_amount : 0;
  // A paid price difference goes back in full when the exchange it paid for is dropped.
  const differenceBack = !plan.exchangeKept && ret.payment_id ? ret.amount_due : 0;
  const email = { template: "refund", payload: { orderId: order.id, orderNumber: order.order_number, refundAmount: plan.amount + differenceBack, returnId: ret.id } };
  return [
    ...parts,
    d1
      .prepare(
        `UPDATE returns SET status = 'received', received_at = ?, updated_at = ?, version = version + 1, restock = ?, refund_to = ?, refund_amount = ?,
           exchange_items = ?, exchange_amount = ?, refund_id = CASE WHEN ? > 0 THEN ? ELSE NULL END
         WHERE id = ? AND status = 'approved' AND version = ?
           AND EXISTS (SELECT 1 FROM orders WHERE id = ? AND status NOT IN ('cancelled', 'refunded'))
           AND (? = 0 OR EXISTS (SELECT 1 FROM refunds WHERE dedupe_key = ?))
           AND (SELECT COUNT(*) FROM balance_refunds WHERE return_id = ?) = ?`,
      )
      .bind(plan.now, plan.now, plan.restock ? 1 : 0, plan.to, plan.amount, exchangeItems, exchangeAmount, allocation.payment, plan.refundId, ret.id, ret.version, order.id, allocation.payment, `return:${ret.id}`, ret.id, expectedBalances),
    // Lost a race (another refund took the room, or the order was refunded): nothing of this attempt stays.
    d1.prepare(`DELETE FROM refunds WHERE dedupe_key = ? AND status = 'pending' AND attempts = 0 AND NOT ${received.sql}`).bind(`return:${ret.id}`, ...received.args),
    d1.prepare(`DELETE FROM balance_refunds WHERE return_id = ? AND NOT ${received.sql}`).bind(ret.id, ...received.args),
    ...(differenceBack > 0
      ? [payments.refundDifferencePaymentStatement(d1, { refundId: plan.differenceRefundId, returnId: ret.id, reason: "exchange_dropped", now: plan.now, onlyIf: received })]
      : []),
    // A refund of the whole order read the order before this: its versioned update now fails.
    d1.prepare(`UPDATE orders SET version = version + 1, updated_at = ? WHERE id = ? AND ${received.sql}`).bind(plan.now, order.id, ...received.args),
    // The refund email (an even exchange refunds nothing, so it has none).
    ...(plan.amount + differenceBack > 0
      ? [
          d1
            .prepare(
              `INSERT INTO email_outbox (id, template, to_address, payload, priority, status, attempts, dedupe_key, request_id, created_at, updated_at)
               SELECT ?, ?, ?, ?, 'critical', 'pending', 0, ?, ?, ?, ? WHERE ${received.sql} ON CONFLICT DO NOTHING`,
            )
            .bind(newId("eml", plan.now), email.template, order.email, JSON.stringify(email.payload), `return_refund:${ret.id}`, plan.requestId, plan.now, plan.now, ...received.args),
        ]
      : []),
    ...(plan.exchangeKept
      ? exchangeOrderStatements(d1, { id: ret.id, customerId: ret.customer_id, currency: ret.currency, email: order.email, items: repo.exchangeItemsOf(ret), requestId: plan.requestId, now: plan.now }, received)
      : []),
    ...webhookEventStatements(d1, {
      type: "return.received",
      key: `return.received:${ret.id}`,
      requestId: plan.requestId,
      now: plan.now,
      onlyIf: { sql: received.sql, params: received.args },
      data: {
        returnId: ret.id,
        orderId: order.id,
        customerId: ret.customer_id,
        restock: plan.restock,
        refundAmount: { amount: plan.amount, currency: ret.currency },
        refundTo: plan.to,
        exchangeOrderId: plan.exchangeKept ? exchangeOrderIdOf(ret.id) : null,
        receivedAt: toIso(plan.now),
      },
    }),
    d1.prepare("SELECT status FROM returns WHERE id = ?").bind(ret.id),
  ];
}

/** Admin: approved → received; then settles what it can now. */
export async function receiveReturn(env: Env, id: string, input: ReceiveInput, now = Date.now()): Promise<repo.ReturnRow> {
  const ret = await repo.findReturn(env.DB, id);
  if (!ret) throw notFound("Return");
  if (ret.status === "received" || ret.status === "refunded") return (await settleReturn(env, id, now)) ?? ret;
  if (ret.status !== "approved") throw invalidState(`A return that is ${ret.status} cannot be received`, { status: ret.status });
  const factsRow = await repo.orderFacts(env.DB, ret.order_id);
  if (!factsRow) throw invalidState("The order of this return is gone");
  const facts: Facts = { ret, order: factsRow.order, checkoutId: factsRow.order.checkout_id };
  // An exchange whose replacements cannot be had any more (the hold lapsed, the stock went) becomes a refund.
  const exchange = repo.exchangeItemsOf(ret);
  const exchangeKept = exchange.length > 0 && (await sellExchange(env, ret.id, exchange));
  // Whatever of a dropped exchange did sell goes back (and nothing more can be sold to it).
  if (exchange.length > 0 && !exchangeKept) await dropExchange(env, ret.id, exchange);
  const amount = Math.max(0, ret.returned_amount - (exchangeKept ? ret.exchange_amount : 0));
  const to = input.refundTo ?? ret.refund_to;
  const allocated = await allocate(env, facts, amount, to);
  const plan = { refundId: newId("rfd", now), differenceRefundId: newId("rfd", now), amount, exchangeKept, restock: input.restock, to, requestId: input.requestId, now };
  const results = await env.DB.batch(receiptStatements(env, facts, allocated, plan));
  const status = (results.at(-1)!.results[0] as { status: string } | undefined)?.status;
  if (status !== "received") throw conflict("The return or its order changed meanwhile; read it again");
  await enqueuePendingEmail(env, `return_refund:${ret.id}`);
  if (exchangeKept) await enqueuePendingEmail(env, `order_confirmation:${exchangeOrderIdOf(ret.id)}`);
  await requestDispatch(env).catch(() => undefined);
  return (await settleReturn(env, id, now)) ?? ret;
}

/** The units a return puts back on hand: a bundle line's components, other lines themselves. */
async function stockOfReturn(env: Env, ret: repo.ReturnRow, checkoutId: string) {
  const [{ lines }, checkout] = await Promise.all([repo.detailsOf(env.DB, [ret]), repo.checkoutLinesOf(env.DB, checkoutId)]);
  const sold = new Map(((checkout ? JSON.parse(checkout.lines) : []) as { variantId: string; components?: { variantId: string; quantity: number }[] | null }[]).map((l) => [l.variantId, l.components ?? null]));
  return stockLinesOf(lines.map((l) => ({ variantId: l.variant_id, quantity: l.quantity, components: sold.get(l.variant_id) ?? null })));
}

/**
 * Drives a received return to refunded: units back on hand (when asked), balances credited, the
 * provider refund tried when due. Safe to run any number of times; answers the return as it is now.
 */
export async function settleReturn(env: Env, id: string, now = Date.now()): Promise<repo.ReturnRow | null> {
  const ret = await repo.findReturn(env.DB, id);
  if (ret?.status !== "received") return ret;
  const order = await env.DB.prepare("SELECT checkout_id FROM orders WHERE id = ?").bind(ret.order_id).first<{ checkout_id: string }>();
  if (order && ret.restock === 1) await returnUnitsOf(env, order.checkout_id, ret.id, await stockOfReturn(env, ret, order.checkout_id));
  for (const part of await repo.pendingBalanceRefunds(env.DB, ret.id)) await creditBalance(env, ret, part, now);
  if (ret.refund_id) {
    const refund = await payments.findRefund(env.DB, ret.refund_id);
    if (refund?.status === "pending") await attemptRefund(env, refund.id, now);
  }
  if (ret.payment_id) {
    const differenceBack = await payments.refundOfPayment(env.DB, ret.payment_id);
    if (differenceBack?.status === "pending") await attemptRefund(env, differenceBack.id, now);
  }
  await repo.completeReturn(env.DB, ret.id, now);
  return repo.findReturn(env.DB, id);
}

/** One balance part of a return's refund, applied once (keyed by the return) and then marked done. */
async function creditBalance(env: Env, ret: repo.ReturnRow, part: repo.BalanceRefundRow, now: number) {
  if (part.kind === "credit") {
    const input = { customerId: ret.customer_id, amount: part.amount, currency: part.currency, kind: "refund" as const, reference: ret.id, note: null, actor: null, opId: `scr_${part.id.slice(4)}` };
    await creditStoreCredit(env, input, now);
  } else {
    const given = await withBalance(env, part.account_id, (s) => s.giveBack(part.account_id, part.checkout_id, `return:${ret.id}`, part.amount));
    if (!given.ok || given.given !== part.amount) {
      // The balance has less to give back than the receipt planned (it should never): left pending for an admin.
      createLogger({ returnId: ret.id }).error("return_give_back_short", { accountKind: part.account_id.startsWith("credit:") ? "store_credit" : "gift_card", planned: part.amount, given: given.given });
      return;
    }
  }
  await repo.markBalanceRefunded(env.DB, part.id, now);
}

/** Cron: finishes settlements of received returns interrupted more than a minute ago. */
export async function settleReceivedReturns(env: Env, now = Date.now()) {
  const ids = await repo.listReceived(env.DB, now - 60_000, 50);
  let refunded = 0;
  for (const id of ids) {
    const after = await settleReturn(env, id, now).catch((err: unknown) => {
      createLogger({ task: "settle_received_returns" }).error("settle_return_failed", { returnId: id, name: err instanceof Error ? err.name : "unknown" });
      return null;
    });
    if (after?.status === "refunded") refunded += 1;
    else await repo.touchReceived(env.DB, id, now);
  }
  return { refunded, waiting: ids.length - refunded };
}

/** After the provider confirmed a refund: the return it pays, if any, moves on. */
export async function settleReturnOfRefund(env: Env, refundId: string, now = Date.now()) {
  const returnId = await repo.returnOfRefund(env.DB, refundId);
  if (returnId) await settleReturn(env, returnId, now);
}
