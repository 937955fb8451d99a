/**
 * What returned units cost the customer. An order line's `total` is what was paid for all its
 * units: the price after its share of every discount (the largest-remainder allocation made at
 * pricing) and its tax. Returns of a line take shares of it: a partial return gets its
 * proportional share rounded down, and the return that completes the line gets exactly what is
 * left — so the returns of a line add up to its total, and never to more.
 */
export type LineFacts = { quantity: number; total: number; tax: number };
export type Taken = { quantity: number; amount: number; tax: number };

export function returnShare(line: LineFacts, taken: Taken, units: number): { amount: number; tax: number } {
  if (!Number.isSafeInteger(units) || units < 1 || taken.quantity + units > line.quantity) throw new RangeError("more units than the line has left");
  if (taken.quantity + units === line.quantity) return { amount: line.total - taken.amount, tax: line.tax - taken.tax };
  return { amount: Math.floor((line.total * units) / line.quantity), tax: Math.floor((line.tax * units) / line.quantity) };
}

export type Tenders = { payment: number; balances: { accountId: string; left: number }[] };
export type Allocation = { payment: number; balances: { accountId: string; amount: number }[]; credit: number };

/**
 * Where a refund goes: to store credit when asked; otherwise back where the money came from —
 * the provider payment first (up to what no refund of it claims yet), then each gift card or
 * store credit that paid (up to what it has not got back) in order, and anything left (which a
 * correct order never has) as store credit, so the refund is always paid in full and no source
 * ever gets back more than it gave.
 */
export function allocateRefund(amount: number, to: "original" | "store_credit", tenders: Tenders): Allocation {
  if (to === "store_credit") return { payment: 0, balances: [], credit: amount };
  let left = amount;
  const payment = Math.min(left, Math.max(0, tenders.payment));
  left -= payment;
  const balances: Allocation["balances"] = [];
  for (const b of tenders.balances) {
    const take = Math.min(left, Math.max(0, b.left));
    if (take > 0) balances.push({ accountId: b.accountId, amount: take });
    left -= take;
  }
  return { payment, balances, credit: left };
}
