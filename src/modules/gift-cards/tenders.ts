/**
 * Balances as tenders of a checkout: when a checkout locks, each balance applied to the cart (its
 * gift cards in the order entered, then store credit) holds as much of the total as it can, like
 * stock; the provider charges only what they leave. Finalize captures the holds, a checkout that
 * fails or expires releases them, one that can never be an order closes them (captured money comes
 * back), and a cancelled or refunded order gets them back. Each call is idempotent per checkout.
 */
import { money } from "../../lib/money";
import { storeCreditAccount, withBalance } from "./balances";

export type TenderKind = "gift_card" | "store_credit";
/** A balance a checkout spends: held when it locked, captured when it became an order. */
export type Tender = { accountId: string; kind: TenderKind; last4: string | null; amount: number };
/** A balance applied to a cart, before any amount is held. */
export type AppliedBalance = Omit<Tender, "amount">;

type CartBalances = { gift_cards?: string; use_store_credit?: number };

/** The balances a cart applies, in the order they pay: gift cards as entered, then store credit. */
export function appliedBalances(customerId: string, currency: string, cart: CartBalances): AppliedBalance[] {
  const cards = parseList<{ id: string; last4: string }>(cart.gift_cards).map((c) => ({ accountId: c.id, kind: "gift_card" as const, last4: c.last4 }));
  const credit = cart.use_store_credit ? [{ accountId: storeCreditAccount(customerId, currency), kind: "store_credit" as const, last4: null }] : [];
  return [...cards, ...credit];
}

function parseList<T>(json: string | undefined | null): T[] {
  if (!json) return [];
  try {
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed) ? (parsed as T[]) : [];
  } catch {
    return [];
  }
}

/**
 * What a checkout records before it holds anything: the balances it may hold, at 0. Should it end
 * before it locks (its request died, stock was short), releasing these lets go of any hold taken.
 */
export const plannedTenders = (applied: AppliedBalance[]) => JSON.stringify(applied.map((b) => ({ ...b, amount: 0 })));

/** The tenders a checkout row recorded (none for a checkout that predates them). */
export const tendersOf = (row: { tenders?: string | null }): Tender[] => parseList<Tender>(row.tenders);

export const tenderTotal = (tenders: readonly Tender[]) => tenders.reduce((sum, t) => sum + t.amount, 0);

/** What the payment provider charges: the checkout's total less what its balances cover. */
export function amountDue(row: { totals: string; tenders?: string | null }): number {
  const total = (JSON.parse(row.totals) as { total: number }).total;
  return Math.max(0, total - tenderTotal(tendersOf(row)));
}

/**
 * Holds, on each applied balance in turn, as much of what is still unpaid as it can give; answers
 * the tenders (balances that gave nothing are left out, and let go of any hold an earlier attempt
 * of the same checkout took).
 */
export async function holdTenders(env: Env, checkoutId: string, applied: AppliedBalance[], total: number, expiresAt: number): Promise<Tender[]> {
  const tenders: Tender[] = [];
  let unpaid = total;
  for (const balance of applied) {
    const held = await withBalance(env, balance.accountId, (s) => s.hold(balance.accountId, checkoutId, unpaid, expiresAt));
    if (held.ok && held.amount > 0) {
      tenders.push({ ...balance, amount: held.amount });
      unpaid -= held.amount;
    }
  }
  return tenders;
}

/** Frees what a checkout that failed or expired held (a capture, if any, stays). */
export async function releaseTenders(env: Env, checkoutId: string, tenders: readonly Pick<Tender, "accountId">[]): Promise<void> {
  // Each balance is its own object: they are asked at once, not one after another.
  await Promise.all(tenders.map((t) => withBalance(env, t.accountId, (s) => s.release(t.accountId, checkoutId))));
}

/** Captures every tender for the order; false when one could not be taken (its hold lapsed and the balance is gone). */
export async function captureTenders(env: Env, checkoutId: string, tenders: readonly Tender[]): Promise<boolean> {
  // At once; when one fails, the caller closes every tender, which gives back the captures that succeeded.
  const results = await Promise.all(tenders.filter((x) => x.amount > 0).map((t) => withBalance(env, t.accountId, (s) => s.capture(t.accountId, checkoutId, t.amount))));
  return results.every((r) => r.ok);
}

/** For a checkout that will never be an order: holds freed, captures given back, later ones refused. */
export async function closeTenders(env: Env, checkoutId: string, tenders: readonly Pick<Tender, "accountId">[]): Promise<void> {
  await Promise.all(tenders.map((t) => withBalance(env, t.accountId, (s) => s.close(t.accountId, checkoutId))));
}

/** A cancelled or refunded order: everything its balances paid and did not get back yet goes back (once per order). */
export async function giveBackTenders(env: Env, checkoutId: string, orderId: string, tenders: readonly Tender[]): Promise<void> {
  await Promise.all(tenders.map((t) => withBalance(env, t.accountId, (s) => s.giveBack(t.accountId, checkoutId, `order:${orderId}`, null))));
}

/** Tenders as answers show them. */
export function tenderViews(tenders: readonly Tender[], currency: string) {
  const cards = tenders.filter((t) => t.kind === "gift_card");
  return { giftCards: cards.map((t) => ({ last4: t.last4 ?? "", amount: money(t.amount, currency) })) };
}

/**
 * What each applied balance would pay of `total` now (the cart's view): nothing is held until the
 * checkout locks, so a balance spent meanwhile pays less there and the provider charges the rest.
 */
export async function estimateTenders(env: Env, applied: AppliedBalance[], total: number): Promise<Tender[]> {
  if (applied.length === 0) return [];
  const accounts = await Promise.all(applied.map((b) => withBalance(env, b.accountId, (s) => s.snapshot(b.accountId))));
  const now = Date.now();
  let unpaid = total;
  return applied.map((b, i) => {
    const account = accounts[i];
    const usable = account && (account.expiresAt === null || account.expiresAt > now) ? account.available : 0;
    const amount = Math.min(unpaid, usable);
    unpaid -= amount;
    return { ...b, amount };
  });
}
