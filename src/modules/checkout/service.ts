/**
 * Checkout: lock the cart (price snapshot + stock reservations) under an Idempotency-Key, take
 * the payment, and hand over to finalize. Each state change is a conditional UPDATE.
 */
import { getConfig } from "../../env";
import { AppError, conflict, invalidState, notFound, validationError } from "../../lib/errors";
import { sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { toIso } from "../../lib/time";
import { priceLoadedCart, toCartItem, toDiscountViews, toPayableTotals } from "../cart/pricing";
import type { LoadedCart } from "../cart/repo";
import type { PricedCartLine } from "../cart/pricing";
import { appliedBalances, closeTenders, holdTenders, plannedTenders, releaseTenders, tendersOf, tenderViews } from "../gift-cards/tenders";
import { loadCart } from "../cart/service";
import { checkoutMarketOf, checkoutRefusal, marketView, storedCheckoutMarket } from "../markets/cart";
import { defaultMarket, type Market } from "../markets/context";
import { normalizeCode } from "../pricing/eligibility";
import type { RejectionReason } from "../pricing/types";
import { closeLines, releaseLines, reserveLines, stockLinesOf, type Shortage } from "../inventory/service";
import { checkoutIn, releaseClaimStatements } from "./discount-claims";
import * as repo from "./repo";
import type { Checkout, CreateCheckoutBody } from "./schemas";
import { writeBusinessEvent } from "../analytics/events";

const KEY_TTL_MS = 24 * 3600_000;
/** A claim this old without an answer belongs to a request that died; a retry may take it over. */
const ABANDONED_CLAIM_MS = 60_000;
/** Holds outlive the checkout a little, so a payment taken at the last second can still commit. */
const HOLD_GRACE_MS = 60_000;

export function toCheckout(row: Omit<repo.CheckoutRow, "version">): Checkout {
  const { lines, totals, discounts } = repo.snapshotOf(row);
  // Before it locks, a checkout lists the balances it may hold at 0: not shown as paying.
  const tenders = tendersOf(row).filter((t) => t.amount > 0);
  const paid = tenderViews(tenders, row.currency);
  return {
    id: row.id,
    state: row.state,
    cartId: row.cart_id,
    lines: lines.map((l) => toCartItem(l, row.currency)),
    ...toDiscountViews(discounts, row.currency),
    ...marketView(storedCheckoutMarket(row.market)),
    giftCards: paid.giftCards,
    totals: toPayableTotals(totals, tenders, row.currency),
    expiresAt: toIso(row.expires_at),
    orderId: row.order_id,
  };
}

const insufficient = (lines: Shortage[]) =>
  new AppError("INSUFFICIENT_INVENTORY", "Not enough stock for some lines", 409, { lines });

/** The 409 stored under the key (and replayed) for a shortfall. */
const insufficientAnswer = (lines: Shortage[]) => ({ code: "INSUFFICIENT_INVENTORY" as const, lines });

const OUTSIDE_THE_CART = new Set<RejectionReason>(["expired", "not_started", "usage_limit_reached", "customer_limit_reached", "unknown"]);

/** 409 for a discount that applied on the cart but not any more (a limit was reached meanwhile). */
export const codeNoLongerApplies = (code: string | null, reason: string) =>
  conflict(`Discount ${code ?? ""} no longer applies (${reason}); remove it from the cart or try again`.replace("  ", " "), { reason, code });

/**
 * How far a lock got, for the claim's fate when it fails: an answer stored stays; holds taken
 * without a row to account for them leave the claim to be taken over at once (the retry makes the
 * same checkout id, so it re-holds those holds); otherwise the claim goes.
 */
type Stored = { answer: boolean; held: boolean };

/** What both ways of locking start from: the cart priced and checked, the row to write, the stock to hold. */
type LockPlan = {
  row: repo.NewCheckout;
  priced: Awaited<ReturnType<typeof priceLoadedCart>>;
  applied: ReturnType<typeof appliedBalances>;
  stock: ReturnType<typeof stockLinesOf>;
  marketFacts: ReturnType<typeof checkoutMarketOf>;
};

/** Prices the loaded cart and refuses what cannot be checked out, before anything is written or held. */
async function planLock(env: Env, customerId: string, id: string, key: string, body: CreateCheckoutBody, now: number, market: Market, loaded: LoadedCart): Promise<LockPlan> {
  const { cart } = loaded;
  if (body.cartId && body.cartId !== cart.id) throw notFound("Cart");
  const priced = await priceLoadedCart(env, customerId, loaded, [], now, market);
  if (priced.lines.length === 0) throw validationError([{ path: "cart", message: "The cart is empty" }]);
  // Markets: every line priced in the cart's currency; goods to ship have an address and a method.
  const refusal = checkoutRefusal(priced);
  if (refusal) throw refusal;
  // A code that stopped applying for reasons outside the cart (used up, expired, deleted) refuses
  // the checkout rather than charging more than the shopper saw; one the cart's own contents
  // switched off is already shown on the cart as inactive, at the price charged here.
  const refused = priced.rejected.find((r) => OUTSIDE_THE_CART.has(r.reason));
  if (refused) throw codeNoLongerApplies(normalizeCode(refused.code), refused.reason);
  const expiresAt = now + getConfig(env).CHECKOUT_TTL_SECONDS * 1000;
  const snapshot = { lines: priced.lines.map(({ purchasable: _p, ...line }) => line), totals: priced.totals, discounts: priced.applied };
  const marketFacts = checkoutMarketOf(market, priced.market, priced.shipping);
  // The balances the checkout may hold are on the row before any is held, so every end of it lets them go.
  const applied = appliedBalances(customerId, cart.currency, cart);
  const row = { id, cartId: cart.id, customerId, key, currency: cart.currency, snapshot, market: marketFacts, tenders: plannedTenders(applied), expiresAt, now };
  // Quantities are summed per variant across the whole cart, bundle components included.
  return { row, priced, applied, stock: stockLinesOf(priced.lines), marketFacts };
}

/** The lines no longer for sale (refused without asking the stock), else the shortfalls of reserving every line under the checkout's id. */
async function reserveFor(env: Env, plan: LockPlan): Promise<Shortage[]> {
  const gone = plan.priced.lines.filter((l) => !l.purchasable).map((l) => ({ variantId: l.variantId, requested: l.quantity, available: 0 }));
  return gone.length > 0 ? gone : reserveLines(env, plan.row.id, plan.stock, plan.row.expiresAt + HOLD_GRACE_MS);
}

/** The checkout as it is once LOCKED with these held balances: the answer stored under the key. */
function lockedView(plan: LockPlan, tenders: ReturnType<typeof tendersOf>): Checkout {
  const { row } = plan;
  return toCheckout({
    id: row.id, cart_id: row.cartId, customer_id: row.customerId, state: "LOCKED", currency: row.currency, lines: JSON.stringify(row.snapshot.lines), totals: JSON.stringify(row.snapshot.totals),
    discounts: JSON.stringify(row.snapshot.discounts), market: JSON.stringify(plan.marketFacts), tenders: JSON.stringify(tenders), expires_at: row.expiresAt, order_id: null, payment_id: null, updated_at: row.now,
  });
}

/**
 * Checkouts superseded by another of their cart (older ones a new lock expired, or an unpaid
 * attempt that came back after the shopper checked out again) give their stock and balances
 * back. A superseded checkout can never be confirmed, so its holds are closed, not released: closing also
 * gives back what a payment request that died after committing (pay-and-place) had sold.
 */
export async function closeSuperseded(env: Env, superseded: repo.Superseded[]) {
  await Promise.all(
    superseded.map(async (older) => {
      writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: "superseded", subjectId: older.id });
      await Promise.all([closeLines(env, older.id, stockLinesOf(JSON.parse(older.lines) as PricedCartLine[]).map((l) => l.variantId)), closeTenders(env, older.id, tendersOf(older))]);
    }),
  );
}

/**
 * The direct lock, for a freshly claimed key when no checkout of this cart is open (so none holds
 * stock this one needs) and none was made under the key before: the stock and balances are held
 * under the id the claim named, then one batch writes the row straight in LOCKED (or FAILED) with
 * the stored answer — one D1 round trip after the claim instead of two. When a step after the
 * holds fails, they go back before the error is answered. A request that dies there leaves holds
 * without a row: they lapse at the checkout's expiry like an abandoned checkout's, and a retry that
 * takes the key over makes the same id, so it re-holds those very holds rather than adding to them.
 */
async function lockDirect(env: Env, scope: string, plan: LockPlan, stored: Stored): Promise<Checkout> {
  const { row } = plan;
  const shortages = await reserveFor(env, plan);
  if (shortages.length > 0) {
    await env.DB.batch(repo.insertSettledStatements(env.DB, row, { state: "FAILED", failureReason: "insufficient_inventory" }, { scope, status: 409, body: insufficientAnswer(shortages) }));
    // Stored, or else a retry that took the key over made this checkout and answers for it.
    stored.answer = true;
    writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: "insufficient_inventory", subjectId: row.id });
    throw insufficient(shortages);
  }
  stored.held = true;
  // If the batch failed after all it wrote (its answer lost), the checkout is LOCKED without
  // holds: its payment then sells only free stock, and a commit that finds none is refunded.
  const letGo = async (err: unknown): Promise<never> => {
    const released = await Promise.allSettled([releaseLines(env, row.id, plan.stock.map((l) => l.variantId)), releaseTenders(env, row.id, plan.applied)]);
    stored.held = released.some((r) => r.status === "rejected");
    throw err;
  };
  // Gift cards and store credit on the cart hold what they can of the total, like stock.
  const tenders = await holdTenders(env, row.id, plan.applied, plan.priced.totals.total, row.expiresAt + HOLD_GRACE_MS).catch(letGo);
  const checkout = lockedView(plan, tenders);
  const results = await env.DB.batch(repo.insertSettledStatements(env.DB, { ...row, tenders: JSON.stringify(tenders) }, { state: "LOCKED" }, { scope, status: 201, body: checkout })).catch(letGo);
  stored.answer = true;
  // Not written: a retry took the key over after this request looked dead and made this checkout
  // itself, under the same id; the holds are that request's now, so nothing is let go here.
  if (results[0]!.results.length !== 1) throw invalidState("Checkout changed while locking");
  // Normally none: a checkout of this cart opened by another request while this one was locking.
  // Should letting them go fail, their holds lapse at their own expiry.
  await closeSuperseded(env, results[1]!.results as repo.Superseded[]).catch(() => undefined);
  return checkout;
}

/**
 * The upsert lock, when an older checkout of the cart is open (its holds go back first, so the
 * shopper never competes with their own last checkout for the last unit) or a retry took over an
 * abandoned key: the row is written CREATED in one batch that expires the older checkouts, then
 * the stock is reserved, then LOCKED + the stored answer in one more batch.
 */
async function lockUpserted(env: Env, scope: string, planned: LockPlan, stored: Stored): Promise<Checkout> {
  const { upserted, current, superseded } = await repo.upsertCheckout(env.DB, planned.row);
  if (!upserted) return toCheckout(current);
  const { id, version, previousLines, previousTenders } = upserted;
  // A row left under this key by an earlier request keeps its id, and with it the holds it took.
  const plan = { ...planned, row: { ...planned.row, id } };
  const kept = new Set(plan.stock.map((l) => l.variantId));
  // Before reserving, in parallel: older checkouts of the cart (expired in the upsert's batch) give
  // their stock and balances back, and a retry that took over a row a dead request left lets go of
  // variants no longer in the cart (the rest are re-reserved below at the new quantities).
  await Promise.all([
    closeSuperseded(env, superseded),
    previousLines ? releaseLines(env, id, stockLinesOf(previousLines).map((l) => l.variantId).filter((v) => !kept.has(v))) : null,
    previousLines ? releaseTenders(env, id, tendersOf({ tenders: previousTenders }).filter((t) => !plan.applied.some((a) => a.accountId === t.accountId))) : null,
  ]);
  const shortages = await reserveFor(env, plan);
  if (shortages.length > 0) {
    await env.DB.batch([
      repo.transitionStatement(env.DB, id, ["CREATED"], "FAILED", plan.row.now, { failureReason: "insufficient_inventory" }),
      repo.storeKeyResponseStatement(env.DB, scope, plan.row.key, 409, insufficientAnswer(shortages)),
    ]);
    stored.answer = true;
    await releaseTenders(env, id, plan.applied);
    writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: "insufficient_inventory", subjectId: id });
    throw insufficient(shortages);
  }
  const tenders = await holdTenders(env, id, plan.applied, plan.priced.totals.total, plan.row.expiresAt + HOLD_GRACE_MS);
  const checkout = lockedView(plan, tenders);
  // The answer is stored only if this very move to LOCKED happened (the row's next version).
  const [locked] = await env.DB.batch([
    repo.transitionStatement(env.DB, id, ["CREATED"], "LOCKED", plan.row.now, { tenders: JSON.stringify(tenders) }),
    repo.storeKeyResponseStatement(env.DB, scope, plan.row.key, 201, checkout, { sql: "EXISTS (SELECT 1 FROM checkouts WHERE id = ? AND state = 'LOCKED' AND version = ?)", args: [id, version + 1] }),
  ]);
  if (locked!.meta.changes !== 1) {
    await releaseLines(env, id, plan.stock.map((l) => l.variantId));
    await releaseTenders(env, id, plan.applied);
    throw invalidState("Checkout changed while locking");
  }
  stored.answer = true;
  return checkout;
}

function replay(row: repo.KeyRow): Checkout {
  const body = JSON.parse(row.response_body!) as Checkout | ReturnType<typeof insufficientAnswer>;
  if (row.status_code === 201) return body as Checkout;
  throw insufficient((body as ReturnType<typeof insufficientAnswer>).lines);
}

/**
 * POST /checkouts: the same key and body replay the stored answer; another body is a conflict.
 * The key is claimed in the first batch, which also reads the cart, its lines, every pricing
 * input and the checkouts in the way of a direct lock (an open one of this cart, or one made under
 * this key before).
 */
export async function createCheckout(env: Env, customerId: string, key: string, body: CreateCheckoutBody, now = Date.now(), market?: Market): Promise<Checkout> {
  const m = market ?? (await defaultMarket(env));
  const scope = `checkout:${customerId}`;
  const hash = await sha256Hex(JSON.stringify({ cartId: body.cartId ?? null, note: body.note ?? null }));
  const named = newId("chk", now);
  const { before, loaded } = await loadCart(env, customerId, now, m, {
    before: [...repo.claimKeyStatements(env.DB, scope, key, hash, now, now + KEY_TTL_MS, named), repo.checkoutsInTheWayStatement(env.DB, customerId, key)],
  });
  const claim = repo.claimOf(before[0]!, before[1]!);
  if (!claim.claimed) {
    if (claim.row.request_hash !== hash) throw new AppError("IDEMPOTENCY_CONFLICT", "Idempotency-Key was used with another request", 422);
    if (claim.row.status_code != null) return replay(claim.row);
    const abandoned = claim.row.created_at < now - ABANDONED_CLAIM_MS;
    if (!abandoned || !(await repo.takeOverKey(env.DB, scope, key, claim.row.created_at, now))) {
      throw conflict("A request with this Idempotency-Key is in progress");
    }
  }
  // A takeover makes what the abandoned claim named (its holds, if any, are this checkout's).
  const id = claim.claimed ? named : (claim.row.resource_id ?? named);
  const inTheWay = (before[2]!.results as { cart_id: string; this_key: number }[]).some((r) => r.this_key === 1 || r.cart_id === loaded.cart.id);
  const stored: Stored = { answer: false, held: false };
  try {
    const plan = await planLock(env, customerId, id, key, body, now, m, loaded);
    const checkout = claim.claimed && !inTheWay ? await lockDirect(env, scope, plan, stored) : await lockUpserted(env, scope, plan, stored);
    if (!stored.answer) await repo.storeKeyResponse(env.DB, scope, key, 201, checkout);
    return checkout;
  } catch (err) {
    if (stored.answer) throw err;
    if (err instanceof AppError && err.code === "INSUFFICIENT_INVENTORY") {
      await repo.storeKeyResponse(env.DB, scope, key, 409, insufficientAnswer(err.details?.lines as Shortage[]));
    } else if (stored.held) {
      await repo.abandonKey(env.DB, scope, key);
    } else {
      await repo.dropKey(env.DB, scope, key);
    }
    throw err;
  }
}

/** A customer's own checkout; another customer's is not found. */
export async function getCheckout(env: Env, customerId: string, id: string, now = Date.now()): Promise<Checkout> {
  const row = await repo.findCustomerCheckout(env.DB, id, customerId);
  if (!row) throw notFound("Checkout");
  // A checkout past its expiry is shown as what it is, without waiting for the cron sweep.
  if (row.state === "LOCKED" && row.expires_at <= now && (await expireCheckout(env, row, now))) return toCheckout({ ...row, state: "EXPIRED" });
  return toCheckout(row);
}

/**
 * Ends a checkout that ran out of time (or was superseded) and gives its stock back. Its discount
 * uses go back in the same batch as the move, guarded by it: a payment confirmed first keeps them.
 */
export async function expireCheckout(env: Env, row: repo.CheckoutRow, now = Date.now(), reason = "expired"): Promise<boolean> {
  const [moved] = await env.DB.batch([
    repo.transitionStatement(env.DB, row.id, ["CREATED", "LOCKED"], "EXPIRED", now, { failureReason: reason }),
    ...releaseClaimStatements(env.DB, row.id, now, checkoutIn(row.id, ["EXPIRED"])),
  ]);
  if (moved!.meta.changes !== 1) return false;
  writeBusinessEvent(env.ANALYTICS, "checkout_failed", { detail: reason, subjectId: row.id });
  // Stock and balances go back side by side: one failing (an overloaded object) does not keep the other held.
  const released = await Promise.allSettled([releaseLines(env, row.id, stockLinesOf(repo.snapshotOf(row).lines).map((l) => l.variantId)), releaseTenders(env, row.id, tendersOf(row))]);
  const failed = released.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return true;
}
