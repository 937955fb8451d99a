/**
 * Pure decisions of the balance ledger a GiftCardDO keeps for one account — a gift card, or one
 * customer's store credit in one currency. The object reads its rows, asks these functions what
 * to do, and writes the outcome in the same synchronous step (no `await` between).
 *
 * Bookkeeping: `issued` is everything ever put on the account (the card's amount, credit grants),
 * `balance` what is left after captures and give-backs, `held` what live checkout holds promise.
 * Always: balance = issued − Σ captured + Σ returned ≥ held ≥ 0, so no interleaving of checkouts
 * can spend more than the account holds.
 *
 * A hold belongs to one checkout: held → captured (the order was placed) → partly or wholly given
 * back (returns, a cancel); or held → released (the checkout failed or expired); `closed` is final
 * (the checkout will never be an order: what it held or captured went back, nothing more is taken).
 */
export type Account = { issued: number; balance: number; held: number; currency: string; expiresAt: number | null; version: number };
export type HoldStatus = "held" | "captured" | "released" | "closed";
/** `amount`: what is (or was last) held; `captured`: what the order took; `returned`: what went back of it. */
export type Hold = { amount: number; status: HoldStatus; captured: number; returned: number };

export type AccountView = { accountId: string; currency: string; balance: number; held: number; available: number; issued: number; expiresAt: number | null; version: number };

export const availableOf = (a: Account) => Math.max(0, a.balance - a.held);

export function accountView(accountId: string, a: Account): AccountView {
  return { accountId, currency: a.currency, balance: a.balance, held: a.held, available: availableOf(a), issued: a.issued, expiresAt: a.expiresAt, version: a.version };
}

export type HoldResult = { ok: true; amount: number; account: AccountView } | { ok: false; code: "UNKNOWN_ACCOUNT" | "CHECKOUT_CLOSED"; amount: 0; account: AccountView | null };
export type CaptureResult = { ok: true; account: AccountView } | { ok: false; code: "UNKNOWN_ACCOUNT" | "INSUFFICIENT_BALANCE" | "CHECKOUT_CLOSED"; account: AccountView | null };
export type GiveBackResult = { ok: true; given: number; account: AccountView } | { ok: false; code: "UNKNOWN_ACCOUNT" | "NOT_CAPTURED"; given: 0; account: AccountView | null };
export type CreditResult = { ok: true; account: AccountView } | { ok: false; code: "UNKNOWN_ACCOUNT"; account: null };

/**
 * Holding up to `max` for a checkout: as much as the account can give (the hold it has already
 * counts), so concurrent checkouts share what is there and never more. An expired card gives
 * nothing new; a captured hold stays as it is; a closed checkout gets nothing.
 */
export type HoldDecision =
  | { kind: "keep"; amount: number }
  | { kind: "closed" }
  | { kind: "set"; amount: number; heldDelta: number };

export function decideHold(a: Account, hold: Hold | null, max: number, now: number): HoldDecision {
  if (hold?.status === "captured") return { kind: "keep", amount: hold.captured };
  if (hold?.status === "closed") return { kind: "closed" };
  const current = hold?.status === "held" ? hold.amount : 0;
  const expired = a.expiresAt !== null && a.expiresAt <= now;
  const target = expired ? 0 : Math.max(0, Math.min(max, availableOf(a) + current));
  if (target === current) return { kind: "keep", amount: current };
  return { kind: "set", amount: target, heldDelta: target - current };
}

/**
 * Capturing takes exactly `amount` for the order: a live hold covers what it holds, the rest (or
 * all of it, when the hold lapsed) must be free. Capturing again changes nothing.
 */
export type CaptureDecision =
  | { kind: "noop" }
  | { kind: "closed" }
  | { kind: "insufficient" }
  | { kind: "capture"; balanceDelta: number; heldDelta: number };

export function decideCapture(a: Account, hold: Hold | null, amount: number): CaptureDecision {
  if (hold?.status === "captured") return { kind: "noop" };
  if (hold?.status === "closed") return { kind: "closed" };
  const held = hold?.status === "held" ? hold.amount : 0;
  if (amount - held > availableOf(a)) return { kind: "insufficient" };
  return { kind: "capture", balanceDelta: -amount, heldDelta: -held };
}

/** Gives back up to `amount` (everything left when null) of what the checkout captured; never more than it captured. */
export function decideGiveBack(hold: Hold | null, amount: number | null): number | null {
  if (hold?.status !== "captured") return null;
  const left = hold.captured - hold.returned;
  return Math.max(0, Math.min(left, amount ?? left));
}

/** Closing a checkout for good: a live hold is freed, a capture comes back whole (less what was already given back). */
export function decideClose(hold: Hold | null): { balanceDelta: number; heldDelta: number; returned: number } | null {
  if (hold?.status === "closed") return null;
  if (hold?.status === "held") return { balanceDelta: 0, heldDelta: -hold.amount, returned: 0 };
  if (hold?.status === "captured") {
    const left = hold.captured - hold.returned;
    return { balanceDelta: left, heldDelta: 0, returned: left };
  }
  return { balanceDelta: 0, heldDelta: 0, returned: 0 };
}
