/**
 * The client side of GiftCardDO: one object per spendable account (a gift card, or a customer's
 * store credit in one currency), its RPC surface as plain promises, and the account ids.
 */
import { AppError } from "../../lib/errors";
import type { AccountView, CaptureResult, CreditResult, GiveBackResult, HoldResult } from "./ledger";

export type BalanceApi = {
  hold(accountId: string, checkoutId: string, max: number, expiresAt: number): Promise<HoldResult>;
  capture(accountId: string, checkoutId: string, amount: number): Promise<CaptureResult>;
  release(accountId: string, checkoutId: string): Promise<AccountView | null>;
  close(accountId: string, checkoutId: string): Promise<AccountView | null>;
  giveBack(accountId: string, checkoutId: string, opId: string, amount: number | null): Promise<GiveBackResult>;
  credit(accountId: string, opId: string, amount: number): Promise<CreditResult>;
  snapshot(accountId: string): Promise<AccountView | null>;
};

/** A customer's store credit in one currency is an account of its own. */
export const storeCreditAccount = (customerId: string, currency: string) => `credit:${customerId}:${currency}`;

function stub(env: Env, accountId: string): BalanceApi {
  return env.GIFT_CARDS.get(env.GIFT_CARDS.idFromName(accountId)) as unknown as BalanceApi;
}

/** Calls the account's object; a broken stub is replaced once (every method is idempotent). */
export async function withBalance<T>(env: Env, accountId: string, fn: (s: BalanceApi) => Promise<T>): Promise<T> {
  try {
    return await fn(stub(env, accountId));
  } catch (err) {
    const flags = err as { retryable?: boolean; overloaded?: boolean } | null;
    if (flags?.overloaded === true) {
      throw new AppError("RATE_LIMITED", "This balance is in very high demand; try again in a moment", 429, { reason: "balance_busy", retryAfterSeconds: 1 });
    }
    if (flags?.retryable !== true) throw err;
    return fn(stub(env, accountId));
  }
}

/** The account as it is now, or null for an unknown gift card. */
export function snapshotOf(env: Env, accountId: string): Promise<AccountView | null> {
  return withBalance(env, accountId, (s) => s.snapshot(accountId));
}
