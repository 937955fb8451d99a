/**
 * Returns (RMA): a customer asks to return units of a delivered order within the return window;
 * admins approve (an exchange's replacements are reserved then) or reject, and receive the goods
 * (receive.ts: restock, refund). States: requested → approved → received → refunded, or rejected.
 * An exchange worth more than what comes back is approved only once its difference is paid
 * (difference.ts); rejecting it gives the difference back.
 */
import { getConfig } from "../../env";
import { AppError, invalidState, notFound, validationError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { money } from "../../lib/money";
import { toIso } from "../../lib/time";
import type { ReturnStatus } from "../../db/schema";
import { returnShare } from "./amounts";
import { attemptRefund } from "../payments/refunds";
import { differenceUnpaid } from "./difference";
import { returnIdOfExchangeKey } from "./keys";
import { dropExchange, exchangeKeyOf, priceExchange, reserveExchange } from "./exchange";
import * as repo from "./repo";
import type { RequestReturnBody, Return } from "./schemas";

const DAY_MS = 86_400_000;

function toReturn(row: repo.ReturnRow, details: Awaited<ReturnType<typeof repo.detailsOf>>): Return {
  const c = row.currency;
  const exchange = repo.exchangeItemsOf(row);
  const payment = row.refund_id ? details.refunds.find((r) => r.id === row.refund_id) : undefined;
  const differenceBack = details.refunds.filter((r) => r.checkout_id === exchangeKeyOf(row.id));
  const balances = details.balances.filter((b) => b.return_id === row.id);
  return {
    id: row.id,
    orderId: row.order_id,
    status: row.status,
    lines: details.lines
      .filter((l) => l.return_id === row.id)
      .map((l) => ({ variantId: l.variant_id, sku: l.sku, title: l.title, quantity: l.quantity, reason: l.reason, amount: money(l.amount, c), tax: money(l.tax, c) })),
    returnedAmount: money(row.returned_amount, c),
    shippingAmount: money(row.shipping_amount, c),
    exchange: exchange.length > 0 || row.exchange_order_id
      ? { items: exchange.map((i) => ({ variantId: i.variantId, sku: i.sku, title: i.title, quantity: i.quantity, amount: money(i.amount, c) })), amount: money(row.exchange_amount, c), orderId: row.exchange_order_id }
      : null,
    refundAmount: money(row.refund_amount, c),
    difference: row.difference_status === "none" ? null : { amount: money(row.amount_due, c), status: row.difference_status },
    refundTo: row.refund_to,
    restock: row.restock === null ? null : row.restock === 1,
    refunds: [
      ...(payment ? [{ destination: "payment" as const, amount: money(payment.amount, payment.currency), status: payment.status }] : []),
      ...differenceBack.map((r) => ({ destination: "payment" as const, amount: money(r.amount, r.currency), status: r.status })),
      ...balances.map((b) => ({ destination: b.account_id.startsWith("credit:") ? ("store_credit" as const) : ("gift_card" as const), amount: money(b.amount, b.currency), status: b.status })),
    ],
    note: row.note,
    createdAt: toIso(row.created_at),
    approvedAt: toIso(row.approved_at),
    receivedAt: toIso(row.received_at),
    refundedAt: toIso(row.refunded_at),
    rejectedAt: toIso(row.rejected_at),
  };
}

async function hydrate(env: Env, rows: repo.ReturnRow[]): Promise<Return[]> {
  const details = await repo.detailsOf(env.DB, rows);
  return rows.map((r) => toReturn(r, details));
}

function decodeCursor(cursor: string | undefined): repo.Cursor {
  if (!cursor) return null;
  const match = /^(\d{1,15}):([A-Za-z0-9_]{1,64})$/.exec(cursor);
  if (!match) throw new AppError("VALIDATION_ERROR", "Invalid cursor", 400, { issues: [{ path: "cursor", message: "Invalid cursor" }] });
  return { createdAt: Number(match[1]), id: match[2]! };
}

/** A page of returns, newest first; `customerId` limits it to one customer's own. */
export async function listReturns(env: Env, filter: { customerId?: string; status?: ReturnStatus }, page: { limit: number; cursor?: string }) {
  const rows = await repo.listReturns(env.DB, filter, decodeCursor(page.cursor), page.limit + 1);
  const pageRows = rows.slice(0, page.limit);
  const last = pageRows.at(-1);
  return { data: await hydrate(env, pageRows), nextCursor: rows.length > page.limit && last ? `${last.created_at}:${last.id}` : null };
}

async function loadReturn(env: Env, id: string, customerId?: string): Promise<repo.ReturnRow> {
  const row = await repo.findReturn(env.DB, id);
  // Another customer's return answers exactly like a missing one (no enumeration).
  if (!row || (customerId && row.customer_id !== customerId)) throw notFound("Return");
  return row;
}

/** One return; with `customerId`, only that customer's own. */
export async function getReturn(env: Env, id: string, customerId?: string): Promise<Return> {
  return (await hydrate(env, [await loadReturn(env, id, customerId)]))[0]!;
}

const notReturnable = (message: string, reason: string) => new AppError("VALIDATION_ERROR", message, 422, { reason, issues: [{ path: "lines", message: reason }] });

/** Sums lines naming the same variant (reasons joined), so each item is checked once. */
function mergeLines(lines: RequestReturnBody["lines"]) {
  const merged = new Map<string, { variantId: string; quantity: number; reason: string | null }>();
  for (const l of lines) {
    const known = merged.get(l.variantId);
    if (known) {
      known.quantity += l.quantity;
      if (l.reason) known.reason = known.reason ? `${known.reason}; ${l.reason}` : l.reason;
    } else merged.set(l.variantId, { variantId: l.variantId, quantity: l.quantity, reason: l.reason ?? null });
  }
  return [...merged.values()];
}

/** The shipping an order charged, once another area records it (`orders.shipping_total`); 0 until then. */
export const shippingOf = (order: Record<string, unknown>) => (typeof order.shipping_total === "number" ? order.shipping_total : 0);

/**
 * Store: a return of units of the customer's own delivered order, within the return window; never
 * more of an item than was bought less what is already being returned. 201 with what it refunds.
 */
export async function requestReturn(env: Env, customerId: string, orderId: string, body: RequestReturnBody, requestId: string | null, now = Date.now()): Promise<Return> {
  const facts = await repo.orderFacts(env.DB, orderId);
  if (!facts || facts.order.customer_id !== customerId) throw notFound("Order");
  if (facts.order.status !== "delivered" || facts.deliveredAt === null) throw notReturnable(`An order that is ${facts.order.status} cannot be returned yet`, "not_delivered");
  // Its lines cost 0 (the returned goods and a difference paid for them): a return would refund
  // nothing and an exchange of it would charge full price. Support handles these.
  if (returnIdOfExchangeKey(facts.order.checkout_id)) throw notReturnable("An exchange's order is returned through customer support", "exchange_order");
  const windowDays = getConfig(env).RETURN_WINDOW_DAYS;
  if (now > facts.deliveredAt + windowDays * DAY_MS) throw notReturnable(`The return window of ${windowDays} days has closed`, "window_closed");
  const id = newId("ret", now);
  const lines = mergeLines(body.lines).map((l, i) => {
    const item = facts.items.find((x) => x.variant_id === l.variantId);
    if (!item) throw validationError([{ path: `lines.${i}.variantId`, message: "not in this order" }]);
    const taken = facts.taken.get(l.variantId);
    const left = item.quantity - (taken?.quantity ?? 0);
    if (l.quantity > left) throw new AppError("VALIDATION_ERROR", `Only ${left} of ${item.sku} can still be returned`, 422, { reason: "more_than_bought", variantId: l.variantId, returnable: left, issues: [{ path: `lines.${i}.quantity`, message: "more_than_bought" }] });
    const share = returnShare(item, { quantity: taken?.quantity ?? 0, amount: taken?.amount ?? 0, tax: taken?.tax ?? 0 }, l.quantity);
    return { id: newId("rtl", now), ...l, ...share, takenKey: repo.takenKey(taken) };
  });
  // Shipping goes back with the return that brings the whole order back.
  const wholeOrder = facts.items.every((item) => (facts.taken.get(item.variant_id)?.quantity ?? 0) + (lines.find((l) => l.variantId === item.variant_id)?.quantity ?? 0) >= item.quantity);
  const shippingAmount = wholeOrder && !facts.shippingRefunded ? shippingOf(facts.order) : 0;
  const exchangeItems = await priceExchange(env, customerId, facts.order, body.exchange ?? [], now);
  const exchangeAmount = exchangeItems.reduce((sum, i) => sum + i.amount, 0);
  const returned = lines.reduce((sum, l) => sum + l.amount, 0) + shippingAmount;
  // Replacements worth more than what comes back: the customer pays the difference before approval,
  // unless it is below what a provider charges at all (then the shop waives it).
  const difference = Math.max(0, exchangeAmount - returned);
  const amountDue = difference >= getConfig(env).EXCHANGE_MIN_CHARGE ? difference : 0;
  const event = {
    type: "return.requested" as const,
    key: `return.requested:${id}`,
    requestId,
    now,
    data: {
      returnId: id,
      orderId,
      customerId,
      status: "requested",
      lines: lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity, reason: l.reason })),
      refundAmount: money(Math.max(0, returned - exchangeAmount), facts.order.currency),
      amountDue: money(amountDue, facts.order.currency),
      exchange: exchangeItems.map((i) => ({ variantId: i.variantId, quantity: i.quantity })),
      createdAt: toIso(now),
    },
  };
  const plan = { id, orderId, customerId, currency: facts.order.currency, lines, shippingAmount, exchangeItems, exchangeAmount, amountDue, refundTo: body.refundTo ?? "original" as const, note: body.note ?? null, now, event };
  // Lost a race with another request or a rejection for the same units: the answer says what is left.
  if (!(await repo.insertReturn(env.DB, plan))) throw new AppError("CONFLICT", "The order's returns changed meanwhile; read the order and try again", 409);
  return getReturn(env, id);
}

/** Admin: requested → approved; an exchange's replacements are reserved now (409 when out of stock). */
export async function approveReturn(env: Env, id: string, now = Date.now()): Promise<Return> {
  const row = await loadReturn(env, id);
  if (row.status !== "requested") throw invalidState(`A return that is ${row.status} cannot be approved`, { status: row.status });
  if (row.difference_status !== "none" && row.difference_status !== "paid") throw differenceUnpaid(row.difference_status);
  const items = repo.exchangeItemsOf(row);
  const shortages = await reserveExchange(env, row.id, items, now);
  if (shortages.length > 0) throw new AppError("INSUFFICIENT_INVENTORY", "Not enough stock for the exchange", 409, { lines: shortages });
  if (!(await repo.approve(env.DB, row.id, row.version, now))) {
    // Another admin approved it (the reservation is theirs too: same key) or rejected it.
    if ((await repo.findReturn(env.DB, row.id))?.status !== "approved") await dropExchange(env, row.id, items);
    throw invalidState("The return changed meanwhile; read it again");
  }
  return getReturn(env, id);
}

/** Admin: requested or approved → rejected; reserved replacements go back, and the units may be asked for again. */
export async function rejectReturn(env: Env, id: string, note: string | null, now = Date.now()): Promise<Return> {
  const row = await loadReturn(env, id);
  const refundId = newId("rfd", now);
  const { rejected, refundWritten } = await repo.reject(env.DB, row.id, note, refundId, now);
  if (!rejected) throw invalidState(`A return that is ${row.status} cannot be rejected`, { status: row.status });
  await dropExchange(env, row.id, repo.exchangeItemsOf(row));
  // A paid price difference goes back now if the provider answers; else the refund sweep retries it.
  if (refundWritten) await attemptRefund(env, refundId, now);
  return getReturn(env, id);
}
